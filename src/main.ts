// Starts the service: `npm start`.
import 'reflect-metadata';
import { startApp } from './app.js';
import { stopOnSignals } from './lifecycle/signals.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, wantsPrettyLogs } from './logger.js';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`order-service: bad configuration: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config.logLevel, 'order-service', { pretty: wantsPrettyLogs(config.env) });
if (config.jwt.generated) {
  logger.warn('JWT_SECRET is not set: using a random secret for this run; tokens will not survive a restart');
}

const app = await startApp(config, logger).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});
logger.info({ url: app.url }, `order service ready: API ${config.playground ? 'and playground ' : ''}at ${app.url}`);

// Graceful: stop accepting, finish in-flight work, close pools; bounded by SHUTDOWN_TIMEOUT.
stopOnSignals(() => app.stop(), logger, config.shutdownTimeoutMs);
