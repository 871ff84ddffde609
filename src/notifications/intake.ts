// What the notifications consumer does with one order event, in one
// transaction with its inbox row: the in-app notification, the email to send
// (unless the customer turned email off) and one webhook delivery per
// endpoint that wants the event type. Each is unique per (event, channel,
// recipient or endpoint), so however often the event arrives, and whatever
// crashes in between, each exists once. Sending is the dispatchers' job.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.js';
import { recordProcessed } from '../outbox/inbox.js';
import { OrderEventType, UnknownOrderError } from '../orders/index.js';
import { DeliveryChannel, type EmailPayload } from './delivery.entity.js';
import { messageFor, type NotificationKind, type OrderFacts } from './messages.js';
import type { NotifiableEvent } from './order-event-feed.js';
import type { NotificationObserver } from './dispatcher.js';

export type IntakeResult =
  | { kind: 'duplicate' }
  | { kind: 'recorded'; message: NotificationKind | null; inApp: number; emails: number; webhooks: number };

export interface IntakeMeta {
  /** The inbox's consumer name (the queue). */
  consumer: string;
  correlationId: string | null;
}

export class NotificationIntake {
  constructor(
    private readonly orm: Orm,
    private readonly observer?: NotificationObserver,
  ) {}

  /**
   * Records what the event brings. `raw` is the message body exactly as it
   * arrived: webhooks send it byte for byte. An unknown order throws (the
   * message is retried, then dead-lettered).
   */
  async record(event: NotifiableEvent, raw: Buffer, meta: IntakeMeta): Promise<IntakeResult> {
    const envelope = event.envelope;
    const result = await this.orm.em.fork().transactional(async (tx): Promise<IntakeResult> => {
      if (!(await recordProcessed(tx, meta.consumer, envelope.id))) return { kind: 'duplicate' };
      const order = await loadOrder(tx, event);
      if (!order) throw new UnknownOrderError(envelope.data.orderId);
      const message = messageFor(event, order.facts);
      let inApp = 0;
      let emails = 0;
      if (message) {
        const created = await tx.execute<{ id: string }[]>(
          `insert into notifications (id, user_id, order_id, event_id, type, title, body, created_at)
           values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (event_id, user_id) do nothing returning id`,
          [
            randomUUID(),
            order.facts.customerId,
            order.facts.orderId,
            envelope.id,
            message.kind,
            message.title,
            message.body,
            new Date(envelope.occurredAt),
          ],
        );
        inApp = created.length;
        if (order.emailEnabled) {
          const payload: EmailPayload = { to: order.email, ...message.email };
          const queued = await tx.execute<{ id: string }[]>(
            `insert into notification_deliveries (id, event_id, event_type, order_id, channel, user_id, payload, correlation_id)
             values (?, ?, ?, ?, ?, ?, ?::jsonb, ?) on conflict do nothing returning id`,
            [
              randomUUID(),
              envelope.id,
              envelope.type,
              order.facts.orderId,
              DeliveryChannel.EMAIL,
              order.facts.customerId,
              JSON.stringify(payload),
              meta.correlationId,
            ],
          );
          emails = queued.length;
        }
      }
      // Disabled endpoints get theirs too: held until the endpoint is enabled again, not lost.
      const webhooks = await tx.execute<{ id: string }[]>(
        `insert into notification_deliveries (id, event_id, event_type, order_id, channel, endpoint_id, body, correlation_id)
         select gen_random_uuid(), ?, ?, ?, ?, e.id, ?, ? from webhook_endpoints e
         where ? = any(e.event_types) or '*' = any(e.event_types)
         on conflict do nothing returning id`,
        [
          envelope.id,
          envelope.type,
          envelope.data.orderId,
          DeliveryChannel.WEBHOOK,
          raw.toString('utf8'),
          meta.correlationId,
          envelope.type,
        ],
      );
      return { kind: 'recorded', message: message?.kind ?? null, inApp, emails, webhooks: webhooks.length };
    });
    if (result.kind === 'recorded') for (let i = 0; i < result.inApp; i++) this.observer?.notificationSent('in_app');
    return result;
  }
}

async function loadOrder(tx: EntityManager, event: NotifiableEvent) {
  const orderId = event.envelope.data.orderId;
  const [row] = await tx.execute<
    {
      customer_id: string;
      currency: string;
      total_minor: number;
      email: string;
      email_enabled: boolean;
    }[]
  >(
    `select o.customer_id, o.currency, o.total_minor, u.email, coalesce(p.email, true) as email_enabled
     from orders o join users u on u.id = o.customer_id
     left join notification_preferences p on p.user_id = o.customer_id
     where o.id = ?`,
    [orderId],
  );
  if (!row) return null;
  const items = await tx.execute<
    { sku: string; name: string; quantity: number; unit_price_minor: number; line_total_minor: number }[]
  >(
    `select sku, name, quantity, unit_price_minor, line_total_minor from order_items where order_id = ? order by position`,
    [orderId],
  );
  const facts: OrderFacts = {
    orderId,
    customerId: row.customer_id,
    currency: row.currency,
    // The total as of the event where it says so (a later change must not rewrite an old message).
    totalMinor: totalInEvent(event) ?? row.total_minor,
    items: items.map((i) => ({
      sku: i.sku,
      name: i.name,
      quantity: i.quantity,
      unitPriceMinor: i.unit_price_minor,
      lineTotalMinor: i.line_total_minor,
    })),
  };
  return { facts, email: row.email, emailEnabled: row.email_enabled };
}

function totalInEvent(event: NotifiableEvent): number | undefined {
  switch (event.type) {
    case OrderEventType.CREATED:
    case OrderEventType.STATUS_CHANGED:
    case OrderEventType.CANCELLED:
      return Number.isSafeInteger(event.envelope.data.total?.minorUnits)
        ? event.envelope.data.total.minorUnits
        : undefined;
    default:
      return undefined;
  }
}
