// The consumers as their own process: `npm run consumers`. Runs the outbox
// relay and the consumers against the shared PostgreSQL and RabbitMQ, so they
// scale as separate copies of this process.
import 'reflect-metadata';
import { startCore } from '../src/bootstrap/core.js';
import { configOrExit, processLogger } from '../src/bootstrap/entry.js';
import { startWorkers } from '../src/bootstrap/workers.js';
import { ConfigError } from '../src/config.js';
import { stopOnSignals } from '../src/lifecycle/signals.js';
import { publishLiveChanges } from '../src/live/live-orders.js';
import { CONSUMERS } from './index.js';

const config = configOrExit('order-service consumers', (c) => {
  // PGlite and the in-process bus live inside one process: separate consumers need the real services.
  if (!c.databaseUrl) throw new ConfigError('DATABASE_URL', 'is required to run the consumers on their own');
  if (!c.rabbitmqUrl) throw new ConfigError('RABBITMQ_URL', 'is required to run the consumers on their own');
});
const logger = processLogger(config, 'order-service-consumers');
if (!config.redisUrl) {
  logger.warn('REDIS_URL is not set: changes made here (PAID, PAYMENT_FAILED) reach no live subscriber and no cache');
}
const core = await startCore(config, logger, 'consumers').catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start the consumers');
  process.exit(1);
});
try {
  publishLiveChanges({
    committed: core.services.committed,
    shared: core.shared,
    orderCache: core.services.orderCache,
    logger,
  });
  await startWorkers(core, CONSUMERS);
} catch (error) {
  logger.fatal({ err: error }, 'could not start the consumers');
  await core.stop();
  process.exit(1);
}
// Consumers finish and ack the message in hand, the relay its batch; then the connections close.
stopOnSignals(() => core.stop(), logger, config.shutdownTimeoutMs);
logger.info('consumers ready');
