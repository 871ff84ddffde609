// The exchanges and queues of SPEC sections 4 and 10 as data, declared the
// same way by both broker implementations. Every queue dead-letters to
// `orders.dlx` with its own name as routing key, into `<queue>.dlq`; on
// RabbitMQ each consumer also declares the retry queues of its retry policy
// (retryQueueOf).

export const Exchange = {
  ORDERS: 'orders',
  PAYMENTS: 'payments',
  SHIPPING: 'shipping',
  DEAD_LETTERS: 'orders.dlx',
} as const;

export const RoutingKey = {
  ORDER_CREATED: 'order.created',
  ORDER_STATUS_CHANGED: 'order.status_changed',
  ORDER_CANCELLED: 'order.cancelled',
  ORDER_SHIPMENT_CREATED: 'order.shipment_created',
  ORDER_SHIPMENT_DELIVERED: 'order.shipment_delivered',
  ORDER_LINES_CANCELLED: 'order.lines_cancelled',
  PAYMENT_PROCESSED: 'payment.processed',
  SHIPMENT_SHIPPED: 'shipment.shipped',
  SHIPMENT_DELIVERED: 'shipment.delivered',
} as const;

export const Queue = {
  PAYMENT_PROCESSED: 'orders.payment-processed',
  AUDIT: 'orders.audit',
  NOTIFICATIONS: 'orders.notifications',
  SHIPPING: 'orders.shipping',
  /** The development payment simulator's own queue; declared only where the simulator runs. */
  PAYMENT_SIMULATOR: 'payments.simulator',
  /** The development shipping simulator's own queue; declared only where the simulator runs. */
  SHIPPING_SIMULATOR: 'shipping.simulator',
} as const;

export interface Binding {
  exchange: string;
  routingKey: string;
}

export interface QueueSpec {
  name: string;
  bindings: Binding[];
}

export interface Topology {
  /** Durable topic exchanges. */
  exchanges: string[];
  /** Durable work queues; each gets a `.dlq` twin bound to the dead-letter exchange. */
  queues: QueueSpec[];
}

export const ORDER_SERVICE_QUEUES: QueueSpec[] = [
  {
    name: Queue.PAYMENT_PROCESSED,
    bindings: [{ exchange: Exchange.PAYMENTS, routingKey: RoutingKey.PAYMENT_PROCESSED }],
  },
  { name: Queue.AUDIT, bindings: [{ exchange: Exchange.ORDERS, routingKey: 'order.#' }] },
  { name: Queue.NOTIFICATIONS, bindings: [{ exchange: Exchange.ORDERS, routingKey: 'order.#' }] },
  { name: Queue.SHIPPING, bindings: [{ exchange: Exchange.SHIPPING, routingKey: 'shipment.#' }] },
];

export const PAYMENT_SIMULATOR_QUEUE: QueueSpec = {
  name: Queue.PAYMENT_SIMULATOR,
  bindings: [{ exchange: Exchange.ORDERS, routingKey: RoutingKey.ORDER_CREATED }],
};

/** Paid orders to ship, and its own shipments to deliver. */
export const SHIPPING_SIMULATOR_QUEUE: QueueSpec = {
  name: Queue.SHIPPING_SIMULATOR,
  bindings: [
    { exchange: Exchange.ORDERS, routingKey: RoutingKey.ORDER_STATUS_CHANGED },
    { exchange: Exchange.ORDERS, routingKey: RoutingKey.ORDER_SHIPMENT_CREATED },
  ],
};

export function orderServiceTopology(options: { paymentSimulator: boolean; shippingSimulator?: boolean }): Topology {
  return {
    exchanges: [Exchange.ORDERS, Exchange.PAYMENTS, Exchange.SHIPPING, Exchange.DEAD_LETTERS],
    queues: [
      ...ORDER_SERVICE_QUEUES,
      ...(options.paymentSimulator ? [PAYMENT_SIMULATOR_QUEUE] : []),
      ...(options.shippingSimulator ? [SHIPPING_SIMULATOR_QUEUE] : []),
    ],
  };
}

export function deadLetterQueueOf(queue: string): string {
  return `${queue}.dlq`;
}

/**
 * Where a message of `queue` waits `delayMs` for its next try (RabbitMQ): a
 * queue with that `x-message-ttl` whose expired messages dead-letter back to
 * `queue`, e.g. `orders.audit.retry.30s`. One per wait, so every message in
 * it expires in arrival order and none blocks another.
 */
export function retryQueueOf(queue: string, delayMs: number): string {
  const label =
    delayMs % 60_000 === 0 ? `${delayMs / 60_000}m` : delayMs % 1000 === 0 ? `${delayMs / 1000}s` : `${delayMs}ms`;
  return `${queue}.retry.${label}`;
}

/**
 * Topic matching as RabbitMQ does it: words split on `.`, `*` is exactly one
 * word, `#` is zero or more words.
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const p = pattern.split('.');
  const k = routingKey.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    const word = p[i];
    if (word === '#') {
      for (let skip = j; skip <= k.length; skip++) if (match(i + 1, skip)) return true;
      return false;
    }
    if (j === k.length) return false;
    return (word === '*' || word === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}
