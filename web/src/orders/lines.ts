// An order's lines in units (SPEC section 10): what is left to ship or cancel,
// and each line's status in words. The API computes the statuses and refuses
// units that are not left; this only decides what the forms offer.
import type { ItemStatus } from '../generated/graphql';

export interface LineUnits {
  quantity: number;
  quantityShipped: number;
  quantityCancelled: number;
}

/** Units neither shipped nor cancelled: what a shipment or a cancellation may still take. */
export function unitsLeft(line: LineUnits): number {
  return line.quantity - line.quantityShipped - line.quantityCancelled;
}

/** Units the customer still gets: ordered and not cancelled. */
export function unitsKept(line: LineUnits): number {
  return line.quantity - line.quantityCancelled;
}

export function totalUnits<L>(lines: readonly L[], count: (line: L) => number): number {
  return lines.reduce((sum, line) => sum + count(line), 0);
}

const ITEM_LABELS: Record<ItemStatus, string> = {
  PENDING: 'Not shipped yet',
  PARTIALLY_SHIPPED: 'Partly shipped',
  SHIPPED: 'Shipped',
  DELIVERED: 'Delivered',
  CANCELLED: 'Cancelled',
};

export function itemStatusLabel(status: ItemStatus): string {
  return ITEM_LABELS[status] ?? status;
}

/** "1 unit", "3 units". */
export function units(n: number): string {
  return n === 1 ? '1 unit' : `${n} units`;
}
