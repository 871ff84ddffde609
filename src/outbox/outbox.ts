// Writes events into the outbox inside the caller's transaction. Publishing
// the rows is the relay's job (relay.ts); the audit trail is written from the
// published events by the audit consumer, not here.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AnyOrderEvent } from '../orders/order-events.js';
import { OutboxMessage } from './outbox.entity.js';

export function enqueueOrderEvents(tx: EntityManager, events: AnyOrderEvent[], correlationId: string | null): void {
  for (const event of events) {
    tx.persist(
      tx.create(OutboxMessage, {
        id: event.id,
        aggregateId: event.orderId,
        type: event.type,
        envelope: event.toEnvelope(),
        correlationId,
        createdAt: event.occurredAt,
      }),
    );
  }
}
