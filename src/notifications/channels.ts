// The two sending channels behind DeliveryStrategy: email and webhooks.
// Each claims only its own rows, so an SMTP outage and a dead endpoint never
// hold each other up.
import type { Orm } from '../db/orm.js';
import { DeliveryChannel } from './delivery.entity.js';
import type { ClaimedDelivery, DeliveryStrategy } from './dispatcher.js';
import { messageIdFor, type Mailer } from './mailer.js';
import { sendWebhook, type WebhookSenderOptions } from './webhook-sender.js';

const RETURNING = 'id, event_id, event_type, attempts, correlation_id, payload, body, endpoint_id';

export function emailStrategy(
  mailer: Mailer,
  options: { mailFrom: string; retryScheduleMs: number[] },
): DeliveryStrategy {
  return {
    channel: DeliveryChannel.EMAIL,
    label: 'email',
    retryScheduleMs: options.retryScheduleMs,
    claim: (orm: Orm, limit: number, leaseMs: number) =>
      orm.em.fork().execute<ClaimedDelivery[]>(
        `update notification_deliveries
         set locked_until = now() + (? * interval '1 millisecond'), attempts = attempts + 1
         where id in (
           select id from notification_deliveries
           where channel = 'EMAIL' and status = 'pending' and next_attempt_at <= now()
             and (locked_until is null or locked_until < now())
           order by next_attempt_at
           limit ?
           for update skip locked
         )
         returning ${RETURNING}`,
        [leaseMs, limit],
      ),
    send: async (delivery) => {
      if (!delivery.payload) throw new Error(`email delivery ${delivery.id} has no payload`);
      return mailer.send({
        ...delivery.payload,
        messageId: messageIdFor(delivery.event_id, DeliveryChannel.EMAIL, options.mailFrom),
      });
    },
  };
}

/**
 * Webhooks: at most one delivery in flight per endpoint, so a slow or dead
 * endpoint ties up one sender, never all of them; an endpoint that is
 * disabled keeps its rows pending (held) until it is enabled again.
 */
export function webhookStrategy(options: WebhookSenderOptions & { retryScheduleMs: number[] }): DeliveryStrategy {
  return {
    channel: DeliveryChannel.WEBHOOK,
    label: 'webhook',
    retryScheduleMs: options.retryScheduleMs,
    claim: (orm: Orm, limit: number, leaseMs: number) =>
      orm.em.fork().execute<ClaimedDelivery[]>(
        `with candidates as (
           select d.id, d.endpoint_id, d.next_attempt_at from notification_deliveries d
           join webhook_endpoints e on e.id = d.endpoint_id and e.enabled
           where d.channel = 'WEBHOOK' and d.status = 'pending' and d.next_attempt_at <= now()
             and (d.locked_until is null or d.locked_until < now())
             and not exists (
               select 1 from notification_deliveries busy
               where busy.endpoint_id = d.endpoint_id and busy.status = 'pending' and busy.locked_until >= now()
             )
           order by d.next_attempt_at
           limit 200
           for update of d skip locked
         ), chosen as (
           select distinct on (endpoint_id) id, next_attempt_at from candidates order by endpoint_id, next_attempt_at
         )
         update notification_deliveries d
         set locked_until = now() + (? * interval '1 millisecond'), attempts = d.attempts + 1
         from webhook_endpoints e
         where e.id = d.endpoint_id and d.id in (select id from chosen order by next_attempt_at limit ?)
         returning ${RETURNING.split(', ')
           .map((c) => `d.${c}`)
           .join(', ')}, e.url, e.secret`,
        [leaseMs, limit],
      ),
    send: (delivery: ClaimedDelivery) => {
      if (!delivery.url || !delivery.secret || delivery.body === null) {
        throw new Error(`webhook delivery ${delivery.id} has no endpoint or body`);
      }
      return sendWebhook(
        { url: delivery.url, secret: delivery.secret, messageId: delivery.event_id, body: delivery.body },
        options,
      ).then((outcome) => ({ ...outcome, permanent: false }));
    },
    giveUpEffect: (delivery, outcome) => ({
      cte: `update webhook_endpoints set enabled = false, disabled_reason = ?
            where id = (select endpoint_id from given_up) and enabled`,
      reason:
        `Disabled after ${delivery.attempts} failed attempts to deliver event ${delivery.event_id} ` +
        `(${delivery.event_type}); last error: ${outcome.error ?? 'unknown'}`,
    }),
  };
}
