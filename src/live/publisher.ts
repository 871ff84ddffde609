// The after-commit listener every process that changes orders installs (the
// API, a consumer): it invalidates the cached order, then publishes each
// change on the bus, in commit order.
import type { OrderCache } from '../cache/order-cache.js';
import type { Logger } from '../logger.js';
import type { CommittedEventsListener, AnyOrderEvent } from '../orders/index.js';
import type { OrderChangeBus } from './order-change-bus.js';
import type { OrderChange } from './order-updates.js';

/** What subscribers are told about one committed event: its own facts. */
export function changeOf(event: AnyOrderEvent): OrderChange {
  const facts = event.facts();
  return {
    orderId: facts.orderId,
    customerId: facts.customerId,
    previousStatus: facts.fromStatus,
    status: facts.toStatus,
    version: facts.version,
    actor: facts.actor,
    changedAt: facts.occurredAt.toISOString(),
  };
}

export function liveChangesPublisher(deps: {
  bus: OrderChangeBus;
  cache: Pick<OrderCache, 'invalidate'>;
  logger: Logger;
}): CommittedEventsListener {
  const log = deps.logger.child({ component: 'live-updates' });
  // One chain: a later change is never published before an earlier one from this process.
  let tail: Promise<void> = Promise.resolve();
  return (order, events) => {
    const changes = events.map(changeOf);
    tail = tail.then(async () => {
      // Invalidate first: a subscriber that reads the order on receipt must not read it stale.
      await deps.cache.invalidate(order.id);
      for (const change of changes) {
        try {
          await deps.bus.publish(change);
        } catch (err) {
          // Committed already; while Redis is down live subscribers miss it (pub/sub keeps nothing).
          log.warn(
            { err: err instanceof Error ? err.message : String(err), orderId: change.orderId },
            'order change not published',
          );
        }
      }
    });
  };
}
