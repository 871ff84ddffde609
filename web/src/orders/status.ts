// Order statuses in words, and the moves staff may offer. The API decides
// (SPEC section 2, src/orders/status-machine.ts); this only chooses which
// buttons to show. Both maps are exhaustive: a new status does not compile
// until it has a label and its moves.
import type { OrderStatus } from '../generated/graphql';

// In the order an order travels: the board's columns follow it.
const LABELS: Record<OrderStatus, string> = {
  PENDING: 'Awaiting payment',
  PAYMENT_FAILED: 'Payment failed',
  PAID: 'Paid',
  PARTIALLY_SHIPPED: 'Partly shipped',
  SHIPPED: 'Shipped',
  DELIVERED: 'Delivered',
  CANCELLED: 'Cancelled',
};

/** The board's columns: every status, none forgotten. */
export const BOARD_STATUSES = Object.keys(LABELS) as readonly OrderStatus[];

const STAFF_MOVES: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['PAID', 'PAYMENT_FAILED', 'CANCELLED'],
  PAYMENT_FAILED: ['PAID', 'CANCELLED'],
  PAID: ['SHIPPED', 'CANCELLED'],
  // SHIPPED ships all that remains; which units ship in part only a shipment says (createShipment).
  PARTIALLY_SHIPPED: ['SHIPPED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
};

/** What a customer may do to their own order. */
export function customerMayCancel(status: OrderStatus): boolean {
  return status === 'PENDING' || status === 'PAYMENT_FAILED';
}

export function statusLabel(status: OrderStatus): string {
  return LABELS[status] ?? status;
}

export function staffMoves(status: OrderStatus): readonly OrderStatus[] {
  return STAFF_MOVES[status] ?? [];
}

export function isOrderStatus(value: string): value is OrderStatus {
  return value in LABELS;
}

/** Orders staff may record a shipment for (SPEC section 10): paid, and not all shipped. */
export function staffMayShip(status: OrderStatus): boolean {
  return status === 'PAID' || status === 'PARTIALLY_SHIPPED';
}

/** Orders whose unshipped units staff may cancel (SPEC section 10). */
export function staffMayCancelLines(status: OrderStatus): boolean {
  return status === 'PENDING' || status === 'PAYMENT_FAILED' || status === 'PAID' || status === 'PARTIALLY_SHIPPED';
}
