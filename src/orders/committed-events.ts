// The after-commit hook of order changes. Placing and moving orders report
// each committed change here with its events; the outbox relay (to publish
// at once) and the live side (cache invalidation, subscribers) listen.
import type { Order } from './order.entity.js';
import type { AnyOrderEvent } from './order-events.js';

/** Called after the transaction that wrote `events` committed; must not throw. */
export type CommittedEventsListener = (order: Order, events: readonly AnyOrderEvent[]) => void;

export class CommittedEvents {
  private readonly listeners: CommittedEventsListener[] = [];

  onCommitted(listener: CommittedEventsListener): void {
    this.listeners.push(listener);
  }

  committed(order: Order, events: readonly AnyOrderEvent[]): void {
    for (const listener of this.listeners) listener(order, events);
  }
}

/** The request (or message) behind a change, carried with its events as their correlation id. */
export interface RequestMeta {
  correlationId: string | null;
}
