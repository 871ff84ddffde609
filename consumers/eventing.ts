// Starts the event side of the service on one broker: declares the topology,
// and where consumers run, the outbox relay, the PaymentProcessed and audit
// consumers and (in development) the payment simulator. Used by the API
// process (RUN_CONSUMERS) and by the consumers process (main.ts) alike.
import type { Broker, MessageHandler, Subscription } from '../src/broker/broker.js';
import { createBroker } from '../src/broker/create-broker.js';
import { observed, type DeliveryObserver } from '../src/broker/observed.js';
import { orderServiceTopology, Queue } from '../src/broker/topology.js';
import type { Config } from '../src/config.js';
import type { Orm } from '../src/db/orm.js';
import type { Logger } from '../src/logger.js';
import type { OrderService } from '../src/orders/order.service.js';
import { OutboxRelay, type RelayOptions } from '../src/outbox/relay.js';
import { auditHandler } from './audit.consumer.js';
import { NotificationIntake } from '../src/notifications/intake.js';
import type { NotificationObserver } from '../src/notifications/dispatcher.js';
import { notificationsHandler, startNotificationDispatchers } from './notifications.consumer.js';
import { paymentProcessedHandler } from './payment-processed.consumer.js';
import { paymentSimulatorHandler } from './payment-simulator.js';

/** Unacknowledged messages a consumer holds at once. */
export const PREFETCH = { paymentProcessed: 10, audit: 50, paymentSimulator: 50, notifications: 20 } as const;

export interface Eventing {
  broker: Broker;
  /** Null where this process does not relay (RUN_CONSUMERS=false). */
  relay: OutboxRelay | null;
  /** The running consumers by queue, e.g. to pause one during an incident (or a failure drill). */
  subscriptions: Map<string, Subscription>;
  /** Stops taking messages, finishes those in hand, stops the relay and closes the broker. */
  stop(): Promise<void>;
}

export interface EventingOptions {
  config: Pick<
    Config,
    | 'rabbitmqUrl'
    | 'runConsumers'
    | 'paymentSimulator'
    | 'paymentSimulatorDelayMs'
    | 'paymentSimulatorFailureRate'
    | 'notifications'
    | 'dataDir'
  >;
  orm: Orm;
  orders: OrderService;
  logger: Logger;
  /** The API process runs consumers only with RUN_CONSUMERS; the consumers process always does. */
  role: 'api' | 'consumers';
  relay?: RelayOptions;
  /** Counts consumed, retried and dead-lettered messages per queue. */
  metrics?: DeliveryObserver & NotificationObserver;
}

export async function startEventing(options: EventingOptions): Promise<Eventing> {
  const { config, orm, orders, role } = options;
  const logger = options.logger.child({ component: 'events' });
  const runConsumers = role === 'consumers' || config.runConsumers;
  const simulate = runConsumers && config.paymentSimulator;
  const broker = createBroker(config.rabbitmqUrl, options.logger, `order-service ${role}`);
  await broker.start(orderServiceTopology({ paymentSimulator: simulate }));
  if (!runConsumers) {
    if (broker.kind === 'in-process') {
      logger.warn(
        'RUN_CONSUMERS=false without RABBITMQ_URL: no relay or consumer can reach this process; events stay in the outbox',
      );
    }
    return { broker, relay: null, subscriptions: new Map(), stop: () => broker.close() };
  }

  const relay = new OutboxRelay(orm, broker, options.logger.child({ component: 'outbox-relay' }), options.relay);
  orders.onChange(() => relay.wake());
  const subscriptions = new Map<string, Subscription>();
  const notifications = startNotificationDispatchers({
    orm,
    config: config.notifications,
    dataDir: config.dataDir,
    logger: options.logger,
    metrics: options.metrics,
  });
  const consume = (queue: string, handler: MessageHandler, prefetch: number) =>
    broker.consume(queue, observed(queue, handler, options.metrics), { prefetch });
  try {
    subscriptions.set(
      Queue.PAYMENT_PROCESSED,
      await consume(Queue.PAYMENT_PROCESSED, paymentProcessedHandler(orders, logger), PREFETCH.paymentProcessed),
    );
    subscriptions.set(Queue.AUDIT, await consume(Queue.AUDIT, auditHandler(orders, logger), PREFETCH.audit));
    subscriptions.set(
      Queue.NOTIFICATIONS,
      await consume(
        Queue.NOTIFICATIONS,
        notificationsHandler(new NotificationIntake(orm, options.metrics), notifications, logger),
        PREFETCH.notifications,
      ),
    );
    if (simulate) {
      const simulator = { delayMs: config.paymentSimulatorDelayMs, failureRate: config.paymentSimulatorFailureRate };
      subscriptions.set(
        Queue.PAYMENT_SIMULATOR,
        await consume(
          Queue.PAYMENT_SIMULATOR,
          paymentSimulatorHandler(broker, simulator, options.logger.child({ component: 'payment-simulator' })),
          PREFETCH.paymentSimulator,
        ),
      );
      logger.info(simulator, 'payment simulator on: orders are paid by themselves');
    }
  } catch (error) {
    await notifications.stop();
    await broker.close();
    throw error;
  }
  relay.start();
  logger.info({ broker: broker.kind }, 'outbox relay and consumers running');

  return {
    broker,
    relay,
    subscriptions,
    async stop() {
      await Promise.all([...subscriptions.values()].map((s) => s.cancel()));
      await notifications.stop();
      await relay.stop();
      await broker.close();
    },
  };
}
