// An order as plain data: what the cache stores, the API maps from and live
// subscribers are sent. It keeps customerId, so a cached order is still
// authorized for every caller; and it holds what a tracking page shows (each
// line's shipped units and status, every shipment with its tracking number)
// without asking again.
import { shipmentSnapshotOf, type Shipment, type ShipmentSnapshot } from '../fulfilment/index.js';
import { itemStatus, type ItemStatus } from './order-lines.js';
import type { Order } from './order.entity.js';
import type { OrderStatus } from './status-machine.js';

export interface OrderItemSnapshot {
  sku: string;
  name: string;
  quantity: number;
  unitPriceMinor: number;
  lineTotalMinor: number;
  quantityShipped: number;
  quantityDelivered: number;
  quantityCancelled: number;
  status: ItemStatus;
}

export interface OrderSnapshot {
  id: string;
  customerId: string;
  status: OrderStatus;
  currency: string;
  totalMinor: number;
  refundDueMinor: number;
  shippingAddress: string;
  version: number;
  /** ISO 8601, as it travels through JSON. */
  createdAt: string;
  updatedAt: string;
  items: OrderItemSnapshot[];
  /** Oldest first. */
  shipments: ShipmentSnapshot[];
}

/** `order.items` must be loaded; `shipments` are the order's, oldest first. */
export function snapshotOf(order: Order, shipments: readonly Shipment[]): OrderSnapshot {
  return {
    id: order.id,
    customerId: order.customer.id,
    status: order.status,
    currency: order.currency,
    totalMinor: order.totalMinor,
    refundDueMinor: order.refundDueMinor,
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
      quantityShipped: item.quantityShipped,
      quantityDelivered: item.quantityDelivered,
      quantityCancelled: item.quantityCancelled,
      status: itemStatus(item),
    })),
    shipments: shipments.map(shipmentSnapshotOf),
  };
}

/**
 * Whether a cached snapshot has this version's shape: one cached before
 * fulfilment existed (for up to ORDER_CACHE_TTL after an upgrade) has no
 * shipments, and is read again from the database instead.
 */
export function isCurrentSnapshot(snapshot: OrderSnapshot): boolean {
  return Array.isArray(snapshot.shipments);
}
