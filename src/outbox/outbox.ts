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
