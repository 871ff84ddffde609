// What the rest of the service may use of notifications: the entities, the
// resolver and services of the API side, and what the consumer needs (the
// event feed, the intake and the dispatchers with their channels).
import { DeliveryAttempt, NotificationDelivery } from './delivery.entity.js';
import { Notification, NotificationPreference } from './notification.entity.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';

export { emailStrategy, webhookStrategy } from './channels.js';
export { DeliveryAttempt, NotificationDelivery, Notification, NotificationPreference, WebhookEndpoint };
export {
  DeliveryDispatcher,
  type DispatcherOptions,
  type DeliveryStrategy,
  type NotificationObserver,
} from './dispatcher.js';
export { NotificationIntake, type IntakeResult } from './intake.js';
export { createMailer, type Mailer } from './mailer.js';
export { NotificationResolver } from './notification.resolver.js';
export { NotificationService } from './notification.service.js';
export { parseNotifiableEvent, type NotifiableEvent } from './order-event-feed.js';
export { WebhookEndpointService } from './webhook-endpoint.service.js';
export type { Resolver } from './webhook-targets.js';

/** Every entity of the feature, for the ORM (bootstrap/entities.ts). */
export const NOTIFICATION_ENTITIES = [
  Notification,
  NotificationPreference,
  WebhookEndpoint,
  NotificationDelivery,
  DeliveryAttempt,
] as const;
