// The post-commit hook every process that changes orders installs (the API,
// a consumer): it invalidates the cached order, then publishes the change on
// the bus, in commit order. Usage, in any process:
//   orders.onChange(createLiveUpdatesPublisher({ bus: shared.bus, cache, logger }))
import type { Logger } from '../logger.js';
import type { Order } from '../orders/order.entity.js';
import { OrderEventType, type AnyOrderEvent } from '../orders/order-events.js';
import type { OrderChangeListener } from '../orders/order.service.js';
import type { OrderChangeBus } from './order-change-bus.js';
import type { OrderStatusChangeEvent } from './order-updates.js';

/** What subscribers see of one committed event. */
export function statusChangeOf(order: Order, event: AnyOrderEvent): OrderStatusChangeEvent {
  const created = event.type === OrderEventType.CREATED;
  return {
    orderId: order.id,
    customerId: order.customer.id,
    previousStatus: created ? null : event.data.fromStatus,
    status: created ? event.data.status : event.data.toStatus,
    version: created ? event.data.version : event.data.version,
    actor: event.data.actor,
    changedAt: event.occurredAt.toISOString(),
  };
}

export interface OrderInvalidation {
  invalidate(orderId: string): Promise<void>;
}

export function createLiveUpdatesPublisher(deps: {
  bus: OrderChangeBus;
  cache: OrderInvalidation;
  logger: Logger;
}): OrderChangeListener {
  const log = deps.logger.child({ component: 'live-updates' });
  // One chain: a later change is never published before an earlier one from this process.
  let tail: Promise<void> = Promise.resolve();
  return (order, events) => {
    const changes = events.map((event) => statusChangeOf(order, event));
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
