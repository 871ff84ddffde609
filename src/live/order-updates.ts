// Live order status changes, fanned out to subscribers. Every change is
// published after its transaction commits; each subscriber receives only
// the changes its viewer may see.
import type { Viewer } from '../auth/index.js';
import { visibleTo } from '../orders/index.js';
import type { OrderStatus } from '../orders/index.js';
import { EventQueue } from './event-queue.js';

export interface OrderChange {
  orderId: string;
  customerId: string;
  previousStatus: OrderStatus | null;
  status: OrderStatus;
  version: number;
  actor: string;
  changedAt: string;
}

interface Subscriber {
  viewer: Viewer;
  orderId: string | undefined;
  queue: EventQueue<OrderChange>;
}

export function mayReceive(viewer: Viewer, orderId: string | undefined, event: OrderChange): boolean {
  if (orderId !== undefined && event.orderId !== orderId) return false;
  return visibleTo(viewer, event);
}

/**
 * This process's fan-out to its subscribers. Changes reach it only from the
 * order-change bus (live-orders.ts), one path for local and remote changes,
 * so nothing is delivered twice.
 */
export class OrderUpdates {
  private readonly subscribers = new Set<Subscriber>();

  /** Hands a change to this process's matching subscribers. */
  deliver(event: OrderChange): void {
    for (const subscriber of this.subscribers) {
      if (mayReceive(subscriber.viewer, subscriber.orderId, event)) subscriber.queue.push(event);
    }
  }

  subscribe(viewer: Viewer, orderId: string | undefined): AsyncIterableIterator<OrderChange> {
    const subscriber: Subscriber = {
      viewer,
      orderId,
      queue: new EventQueue<OrderChange>(() => this.subscribers.delete(subscriber)),
    };
    this.subscribers.add(subscriber);
    return subscriber.queue;
  }

  get size(): number {
    return this.subscribers.size;
  }
}
