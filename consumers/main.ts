// The consumers as their own process: `npm run consumers`. Runs the outbox
// relay and the consumers against the shared PostgreSQL and RabbitMQ, so they
// scale as separate copies of this process.
import 'reflect-metadata';
import { ConfigError, loadConfig, type Config } from '../src/config.js';
import { createOrm, migrate } from '../src/db/orm.js';
import { createLogger } from '../src/logger.js';
import { stopOnSignals } from '../src/lifecycle/signals.js';
import { startLivePublishing } from '../src/live/live-orders.js';
import { OrderService } from '../src/orders/order.service.js';
import { connectSharedState } from '../src/shared-state.js';
import { startEventing } from './eventing.js';

let config: Config;
try {
  config = loadConfig();
  // PGlite and the in-process bus live inside one process: separate consumers need the real services.
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'is required to run the consumers on their own');
  if (!config.rabbitmqUrl) throw new ConfigError('RABBITMQ_URL', 'is required to run the consumers on their own');
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`order-service consumers: bad configuration: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config.logLevel, 'order-service-consumers');
const orm = await createOrm({ url: config.databaseUrl as string, logger });
if (config.migrateOnStart) await migrate(orm);
const orders = new OrderService(orm);
if (!config.redisUrl) {
  logger.warn('REDIS_URL is not set: changes made here (PAID, PAYMENT_FAILED) reach no live subscriber and no cache');
}
const shared = await connectSharedState(config, logger, { receiveChanges: false });
startLivePublishing({ orders, shared, orderCacheTtlSeconds: config.orderCacheTtlSeconds, logger });
const eventing = await startEventing({ config, orm, orders, logger, role: 'consumers' }).catch(
  async (error: unknown) => {
    logger.fatal({ err: error }, 'could not start the consumers');
    await orm.close(true);
    process.exit(1);
  },
);
logger.info('consumers ready');

// Consumers finish and ack the message in hand, the relay its batch; then the connections close.
stopOnSignals(
  async () => {
    await eventing.stop();
    await shared.close();
    await orm.close(true);
  },
  logger,
  config.shutdownTimeoutMs,
);
