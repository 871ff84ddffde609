// Writes events into the outbox inside the caller's transaction. Publishing
// the rows is the relay's job (relay.ts); the audit trail is written from the
// published events by the audit consumer, not here.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventEnvelope } from './envelope.js';
import { OutboxMessage } from './outbox.entity.js';

/** What the outbox needs of an event: its envelope, and the aggregate whose events go out in order. */
export interface OutboxEvent {
  readonly id: string;
  readonly type: string;
  readonly aggregateId: string;
  readonly occurredAt: Date;
  toEnvelope(): EventEnvelope;
}

export function enqueueEvents(tx: EntityManager, events: readonly OutboxEvent[], correlationId: string | null): void {
  for (const event of events) {
    tx.persist(
      tx.create(OutboxMessage, {
        id: event.id,
        aggregateId: event.aggregateId,
        type: event.type,
        envelope: event.toEnvelope(),
        correlationId,
        createdAt: event.occurredAt,
      }),
    );
  }
}

/**
 * The same rows as `enqueueEvents`, for a caller that writes them inside a
 * statement of its own: a CTE inserting the outbox rows of `events`, run only
 * when `guard` (an SQL boolean) holds, and its one parameter.
 */
export function outboxInsert(
  name: string,
  events: readonly OutboxEvent[],
  correlationId: string | null,
  guard: string,
): { cte: string; params: unknown[] } {
  const rows = events.map((event) => ({
    id: event.id,
    aggregate_id: event.aggregateId,
    type: event.type,
    envelope: event.toEnvelope(),
    correlation_id: correlationId,
    created_at: event.occurredAt.toISOString(),
  }));
  return {
    cte: `${name} as (
         insert into outbox (id, aggregate_id, type, envelope, correlation_id, created_at)
         select id, aggregate_id, type, envelope, correlation_id, created_at
           from jsonb_to_recordset(?::jsonb)
             as r(id uuid, aggregate_id uuid, type text, envelope jsonb, correlation_id text, created_at timestamptz)
          where ${guard})`,
    params: [JSON.stringify(rows)],
  };
}
