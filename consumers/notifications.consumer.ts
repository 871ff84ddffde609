// orders.notifications: tells customers and partner systems about order
// events. The handler records, in one transaction with the inbox row, the
// in-app notification and one pending delivery per email and per webhook
// endpoint (notifications/intake.ts); the dispatchers started here send those
// with retries, each channel on its own (notifications/dispatcher.ts).
import { join } from 'node:path';
import { ConnectionException, DeadlockException, LockWaitTimeoutException } from '@mikro-orm/core';
import type { MessageHandler } from '../src/broker/broker.js';
import { Queue } from '../src/broker/topology.js';
import type { NotificationsConfig } from '../src/config.js';
import type { Orm } from '../src/db/orm.js';
import type { Logger } from '../src/logger.js';
import {
  createMailer,
  DeliveryDispatcher,
  emailStrategy,
  parseNotifiableEvent,
  webhookStrategy,
  type DispatcherOptions,
  type NotificationIntake,
  type NotificationObserver,
  type Resolver,
} from '../src/notifications/index.js';

export function notificationsHandler(
  intake: NotificationIntake,
  dispatchers: { wake(): void },
  logger: Logger,
): MessageHandler {
  return async (delivery) => {
    const event = parseNotifiableEvent(delivery.content);
    const result = await intake
      .record(event, delivery.content, { consumer: Queue.NOTIFICATIONS, correlationId: delivery.correlationId ?? null })
      .catch((error: unknown) => {
        throw markTransient(error);
      });
    const log = { messageId: event.envelope.id, type: event.type, orderId: event.envelope.data.orderId };
    if (result.kind === 'duplicate') {
      logger.debug(log, 'notifications: event already recorded');
      return;
    }
    logger.debug({ ...log, ...result }, 'notifications recorded');
    dispatchers.wake();
  };
}

/**
 * A database that is unreachable or busy says nothing about the message: such
 * errors are retried without counting toward the poison bound (once the broker
 * honours `transient`); an unknown order or a malformed body still does.
 */
function markTransient(error: unknown): unknown {
  const passing =
    error instanceof ConnectionException ||
    error instanceof DeadlockException ||
    error instanceof LockWaitTimeoutException;
  return passing ? Object.assign(error, { transient: true }) : error;
}

export interface NotificationDispatchers {
  /** Deliveries were committed: look for them now. */
  wake(): void;
  /** Finishes the deliveries in hand and stops. */
  stop(): Promise<void>;
}

export interface NotificationDispatchersOptions {
  orm: Orm;
  config: NotificationsConfig;
  /** `.eml` files go under `<dataDir>/mail` when no SMTP_URL is set. */
  dataDir: string;
  logger: Logger;
  metrics?: NotificationObserver;
  dispatcher?: DispatcherOptions;
  /** DNS for webhook targets (tests hand their own). */
  resolver?: Resolver;
}

export function startNotificationDispatchers(options: NotificationDispatchersOptions): NotificationDispatchers {
  const { config, orm } = options;
  const logger = options.logger.child({ component: 'notifications' });
  const mailer = createMailer(
    { smtpUrl: config.smtpUrl, mailFrom: config.mailFrom, mailDir: join(options.dataDir, 'mail') },
    logger,
  );
  const email = new DeliveryDispatcher(
    orm,
    emailStrategy(mailer, { mailFrom: config.mailFrom, retryScheduleMs: config.emailRetryScheduleMs }),
    logger.child({ channel: 'email' }),
    options.metrics,
    options.dispatcher,
  );
  const webhook = new DeliveryDispatcher(
    orm,
    webhookStrategy({
      allowPrivateTargets: config.webhookAllowPrivateTargets,
      timeoutMs: config.webhookTimeoutMs,
      retryScheduleMs: config.webhookRetryScheduleMs,
      resolver: options.resolver,
    }),
    logger.child({ channel: 'webhook' }),
    options.metrics,
    options.dispatcher,
  );
  email.start();
  webhook.start();
  if (mailer.kind === 'files')
    logger.info({ dir: join(options.dataDir, 'mail') }, 'no SMTP_URL: emails are written as .eml files');
  return {
    wake() {
      email.wake();
      webhook.wake();
    },
    async stop() {
      await Promise.all([email.stop(), webhook.stop()]);
      mailer.close();
    },
  };
}
