// What every entry point does first: read the configuration (one clear line
// naming the variable and exit 1 when it is bad), make the logger, and later
// stop gracefully on SIGTERM/SIGINT.
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createLogger, wantsPrettyLogs, type Logger } from '../logger.js';

/** `name` prefixes the one line printed for bad configuration; `check` adds the entry point's own rules. */
export function configOrExit(name: string, check?: (config: Config) => void): Config {
  try {
    const config = loadConfig();
    check?.(config);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${name}: bad configuration: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

export function processLogger(config: Config, name: string): Logger {
  const logger = createLogger(config.logLevel, name, { pretty: wantsPrettyLogs(config.env) });
  if (config.jwt.generated) {
    logger.warn('JWT_SECRET is not set: using a random secret for this run; tokens will not survive a restart');
  }
  return logger;
}
