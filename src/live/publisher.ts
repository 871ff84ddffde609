// The after-commit listener every process that changes orders installs (the
// API, a consumer): it invalidates the cached order, then signals the change
// to every API instance. The change itself is already in the feed.
import type { OrderCache } from '../cache/order-cache.js';
import type { Logger } from '../logger.js';
import type { CommittedEventsListener } from '../orders/index.js';
import type { ChangeSignals } from './change-signals.js';

export function liveChangesPublisher(deps: {
  signals: ChangeSignals;
  cache: Pick<OrderCache, 'invalidate'>;
  logger: Logger;
}): CommittedEventsListener {
  const log = deps.logger.child({ component: 'live-updates' });
  // One chain: a later change is never signalled before an earlier one from this process.
  let tail: Promise<void> = Promise.resolve();
  return (order, events) => {
    const version = order.version;
    tail = tail.then(async () => {
      // A creation is not a change, and nothing of a new order can be cached yet (misses are not kept).
      if (events.every((event) => event.facts().fromStatus === null)) return;
      // Invalidate first: a subscriber that reads the order on receipt must not read it stale.
      await deps.cache.invalidate(order.id);
      try {
        await deps.signals.publish({ orderId: order.id, version });
      } catch (err) {
        // Only a nudge: every instance still reads the change from the feed at its next poll.
        log.debug({ err: err instanceof Error ? err.message : String(err), orderId: order.id }, 'change not signalled');
      }
    });
  };
}
