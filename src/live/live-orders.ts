// Wires a process's live order machinery onto its committed order changes:
// every process that changes orders invalidates the cache and publishes the
// change on the bus; an API instance also receives every change, its own
// included, and hands it to its subscribers and its cache.
import type { OrderCache } from '../cache/order-cache.js';
import type { Logger } from '../logger.js';
import type { CommittedEvents } from '../orders/index.js';
import type { SharedState } from '../shared-state.js';
import { OrderUpdates } from './order-updates.js';
import { liveChangesPublisher } from './publisher.js';

export interface LiveDeps {
  committed: CommittedEvents;
  shared: SharedState;
  orderCache: OrderCache;
  logger: Logger;
}

/** For a process that changes orders but serves no subscribers (the consumers on their own). */
export function publishLiveChanges(deps: LiveDeps): void {
  deps.committed.onCommitted(
    liveChangesPublisher({ bus: deps.shared.bus, cache: deps.orderCache, logger: deps.logger }),
  );
  deps.shared.onReconnect(() => void deps.orderCache.retryPendingInvalidations());
}

/** For an API instance: publishes its own changes and relays everyone's to its subscribers. */
export async function serveLiveChanges(deps: LiveDeps): Promise<OrderUpdates> {
  publishLiveChanges(deps);
  const updates = new OrderUpdates();
  await deps.shared.bus.subscribe((change) => {
    // Every instance deletes again on receipt: a load that raced the change here must not keep it cached.
    void deps.orderCache.invalidate(change.orderId);
    updates.deliver(change);
  });
  return updates;
}
