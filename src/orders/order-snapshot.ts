// An order as plain data: what the cache stores and the API maps from. It
// keeps customerId, so a cached order is still authorized for every caller.
import type { Order } from './order.entity.js';
import type { OrderStatus } from './status-machine.js';

export interface OrderSnapshot {
  id: string;
  customerId: string;
  status: OrderStatus;
  currency: string;
  totalMinor: number;
  shippingAddress: string;
  version: number;
  /** ISO 8601, as it travels through JSON. */
  createdAt: string;
  updatedAt: string;
  items: { sku: string; name: string; quantity: number; unitPriceMinor: number; lineTotalMinor: number }[];
}

/** `order.items` must be loaded. */
export function snapshotOf(order: Order): OrderSnapshot {
  return {
    id: order.id,
    customerId: order.customer.id,
    status: order.status,
    currency: order.currency,
    totalMinor: order.totalMinor,
    shippingAddress: order.shippingAddress,
    version: order.version,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    items: order.items.getItems().map((item) => ({
      sku: item.sku,
      name: item.name,
      quantity: item.quantity,
      unitPriceMinor: item.unitPriceMinor,
      lineTotalMinor: item.lineTotalMinor,
    })),
  };
}
