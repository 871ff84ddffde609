// Every consumer this service runs, in the consumers process and (with
// RUN_CONSUMERS) inside the API process alike. Each is thin over the same
// services the API uses.
import { Queue } from '../src/broker/topology.js';
import type { ConsumerDefinition } from '../src/bootstrap/workers.js';
import { auditHandler } from './audit.consumer.js';
import { NotificationIntake } from '../src/notifications/index.js';
import { notificationsHandler, startNotificationDispatchers } from './notifications.consumer.js';
import { paymentProcessedHandler } from './payment-processed.consumer.js';
import { paymentSimulatorHandler } from './payment-simulator.js';
import { shippingHandler } from './shipping.consumer.js';
import { shippingSimulatorHandler } from './shipping-simulator.js';

export const CONSUMERS: readonly ConsumerDefinition[] = [
  {
    queue: Queue.PAYMENT_PROCESSED,
    prefetch: 10,
    handler: (core) => paymentProcessedHandler(core.services.moves, core.logger.child({ component: 'events' })),
  },
  {
    queue: Queue.SHIPPING,
    prefetch: 10,
    handler: (core) => shippingHandler(core.services.fulfilment, core.logger.child({ component: 'events' })),
  },
  {
    queue: Queue.AUDIT,
    prefetch: 50,
    handler: (core) => auditHandler(core.services.audit, core.logger.child({ component: 'events' })),
  },
  {
    queue: Queue.NOTIFICATIONS,
    prefetch: 20,
    handler: (core) => {
      // The dispatchers that send what the handler records run beside it, and stop with the workers.
      const dispatchers = startNotificationDispatchers({
        orm: core.orm,
        config: core.config.notifications,
        dataDir: core.config.dataDir,
        logger: core.logger,
        metrics: core.metrics,
      });
      core.onStop('workers', 'notification dispatchers', () => dispatchers.stop());
      return notificationsHandler(
        new NotificationIntake(core.orm, core.metrics),
        dispatchers,
        core.logger.child({ component: 'events' }),
      );
    },
  },
  {
    // The development stand-in for the payment service (PAYMENT_SIMULATOR).
    queue: Queue.PAYMENT_SIMULATOR,
    prefetch: 50,
    enabled: (config) => config.paymentSimulator,
    handler: (core) => {
      const options = {
        delayMs: core.config.paymentSimulatorDelayMs,
        failureRate: core.config.paymentSimulatorFailureRate,
      };
      const logger = core.logger.child({ component: 'payment-simulator' });
      logger.info(options, 'payment simulator on: orders are paid by themselves');
      return paymentSimulatorHandler(core.broker, options, logger);
    },
  },
  {
    // The development stand-in for the shipping service (SHIPPING_SIMULATOR).
    queue: Queue.SHIPPING_SIMULATOR,
    prefetch: 50,
    enabled: (config) => config.shippingSimulator,
    handler: (core) => {
      const options = { delayMs: core.config.shippingSimulatorDelayMs };
      const logger = core.logger.child({ component: 'shipping-simulator' });
      logger.info(options, 'shipping simulator on: paid orders ship and arrive by themselves');
      return shippingSimulatorHandler(core.broker, options, logger);
    },
  },
];
