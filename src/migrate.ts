// Applies pending migrations and exits: `npm run migrate`.
import 'reflect-metadata';
import { openDatabase } from './bootstrap/core.js';
import { configOrExit, processLogger } from './bootstrap/entry.js';
import { ShutdownRegistry } from './lifecycle/shutdown.js';

const config = configOrExit('order-service migrate');
const logger = processLogger(config, 'order-service-migrate');
const shutdown = new ShutdownRegistry(logger);
try {
  await openDatabase(config, logger, shutdown, true);
  logger.info('migrations are up to date');
} catch (error) {
  console.error(`order-service: migrate failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await shutdown.stop();
}
