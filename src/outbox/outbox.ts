// Writes events into the outbox inside the caller's transaction. Publishing
// the rows is the relay's job; until the audit consumer exists, the audit row
// is written here too, from the same envelope the consumer will read.
import type { EntityManager } from '@mikro-orm/postgresql';
import { OrderHistory } from '../orders/order-history.entity.js';
import { historyEntryFor, type AnyOrderEvent } from '../orders/order-events.js';
import { OutboxMessage } from './outbox.entity.js';

export function enqueueOrderEvents(tx: EntityManager, events: AnyOrderEvent[], correlationId: string | null): void {
  for (const event of events) {
    const envelope = event.toEnvelope();
    tx.persist(
      tx.create(OutboxMessage, {
        id: event.id,
        aggregateId: event.orderId,
        type: event.type,
        envelope,
        correlationId,
        createdAt: event.occurredAt,
      }),
    );
    tx.persist(tx.create(OrderHistory, historyEntryFor(envelope)));
  }
}
