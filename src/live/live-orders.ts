// Wires an API instance's live order machinery: the cache of order(id), the
// post-commit publisher, and the receiving side that feeds this instance's
// subscribers and cache from the bus (its own changes included).
import { OrderCache, type CacheObserver } from '../cache/order-cache.js';
import { NotFoundError } from '../errors.js';
import type { Logger } from '../logger.js';
import { snapshotOf } from '../orders/order-snapshot.js';
import type { OrderService } from '../orders/order.service.js';
import type { SharedState } from '../shared-state.js';
import { OrderUpdates } from './order-updates.js';
import { createLiveUpdatesPublisher } from './publisher.js';

/** The cache reads orders as the system: callers are authorized on what it returns. */
export function createOrderCache(
  orders: OrderService,
  shared: SharedState,
  ttlSeconds: number,
  logger: Logger,
  observer?: CacheObserver,
) {
  const cache = new OrderCache(
    shared.cacheStore,
    async (orderId) => {
      try {
        return snapshotOf(await orders.getOrder({ kind: 'system', name: 'order-cache' }, orderId));
      } catch (error) {
        if (error instanceof NotFoundError) return null;
        throw error;
      }
    },
    ttlSeconds,
    logger.child({ component: 'order-cache' }),
    observer,
  );
  shared.onReconnect(() => void cache.retryPendingInvalidations());
  return cache;
}

export async function startLiveOrders(deps: {
  orders: OrderService;
  shared: SharedState;
  orderCacheTtlSeconds: number;
  logger: Logger;
  metrics?: CacheObserver;
}): Promise<{ updates: OrderUpdates; orderCache: OrderCache }> {
  const { orders, shared, logger } = deps;
  const orderCache = createOrderCache(orders, shared, deps.orderCacheTtlSeconds, logger, deps.metrics);
  const updates = new OrderUpdates();
  orders.onChange(createLiveUpdatesPublisher({ bus: shared.bus, cache: orderCache, logger }));
  await shared.bus.subscribe((change) => {
    // Every instance deletes again on receipt: a load that raced the change here must not keep it cached.
    void orderCache.invalidate(change.orderId);
    updates.deliver(change);
  });
  return { updates, orderCache };
}

/**
 * For a process that changes orders but serves no subscribers (the consumers
 * on their own): publish every committed change and invalidate the cache, so
 * the API instances' subscribers and caches see what the consumers did.
 */
export function startLivePublishing(deps: {
  orders: OrderService;
  shared: SharedState;
  orderCacheTtlSeconds: number;
  logger: Logger;
}): void {
  const cache = createOrderCache(deps.orders, deps.shared, deps.orderCacheTtlSeconds, deps.logger);
  deps.orders.onChange(createLiveUpdatesPublisher({ bus: deps.shared.bus, cache, logger: deps.logger }));
}
