// Where an order change's events go, inside the change's own transaction:
// the outbox (published to the broker by the relay) and, for every event but
// an order's creation, the change feed (read by live subscribers). One
// function, so no path can write one and forget the other.
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueEvents } from '../outbox/outbox.js';
import { recordChanges } from './change-feed.js';
import type { RequestMeta } from './committed-events.js';
import type { AnyOrderEvent } from './order-events.js';

export async function persistEvents(
  tx: EntityManager,
  events: readonly AnyOrderEvent[],
  meta: RequestMeta,
): Promise<void> {
  enqueueEvents(tx, events, meta.correlationId);
  await recordChanges(tx, events);
}
