// The audit trail: one OrderHistory row per order event, exactly once per
// event id (a redelivered event meets the unique event_id and writes nothing).
import { randomUUID } from 'node:crypto';
import type { Orm } from '../db/orm.js';
import { factsOf, type OrderEventEnvelope } from './order-events.js';

export class AuditTrail {
  constructor(private readonly orm: Orm) {}

  /** True when the row is new. */
  async record(envelope: OrderEventEnvelope): Promise<boolean> {
    const facts = factsOf(envelope);
    const rows = await this.orm.em.fork().execute<{ id: string }[]>(
      `insert into order_history (id, event_id, order_id, type, from_status, to_status, actor, reason, occurred_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (event_id) do nothing returning id`,
      [
        randomUUID(),
        facts.eventId,
        facts.orderId,
        facts.type,
        facts.fromStatus,
        facts.toStatus,
        facts.actor,
        facts.reason,
        facts.occurredAt,
      ],
    );
    return rows.length > 0;
  }
}
