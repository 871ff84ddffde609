// Starts the service: `npm start`. The API, and with RUN_CONSUMERS (the
// default) the relay and consumers in the same process.
import 'reflect-metadata';
import { CONSUMERS } from '../consumers/index.js';
import { startApp } from './app.js';
import { configOrExit, processLogger } from './bootstrap/entry.js';
import { stopOnSignals } from './lifecycle/signals.js';

const config = configOrExit('order-service');
const logger = processLogger(config, 'order-service');
const app = await startApp(config, logger, { consumers: CONSUMERS }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});
// Graceful: stop accepting, finish in-flight work, close pools; bounded by SHUTDOWN_TIMEOUT.
// Installed before "ready" is announced: a SIGTERM right after it must not kill the process outright.
stopOnSignals(() => app.stop(), logger, config.shutdownTimeoutMs);
const site = new URL('/', app.url).toString();
logger.info(
  { url: app.url, web: site },
  `order service ready: the web app at ${site}, the API ${config.playground ? 'and its playground ' : ''}at ${app.url}`,
);
