// What an order's lines say about it (SPEC section 10): each line's status
// from its quantities, the order's status from its lines and shipments, which
// units a shipment or a cancellation may take, and what cancelling units does
// to the money. Plain functions over plain data; the services apply them to a
// locked order.
import { BadInputError } from '../errors.js';
import { isPaid, OrderStatus } from './status-machine.js';

export enum ItemStatus {
  PENDING = 'PENDING',
  PARTIALLY_SHIPPED = 'PARTIALLY_SHIPPED',
  SHIPPED = 'SHIPPED',
  DELIVERED = 'DELIVERED',
  CANCELLED = 'CANCELLED',
}

export interface LineQuantities {
  quantity: number;
  quantityShipped: number;
  quantityDelivered: number;
  quantityCancelled: number;
}

export interface PricedLine extends LineQuantities {
  sku: string;
  unitPriceMinor: number;
}

/** A sku and a number of its units: a shipment's line, or units to cancel. */
export interface UnitsOf {
  sku: string;
  quantity: number;
}

/** Units neither shipped nor cancelled: what a shipment or a cancellation may still take. */
export function unitsLeft(line: LineQuantities): number {
  return line.quantity - line.quantityShipped - line.quantityCancelled;
}

/** Units the customer still gets (ordered and not cancelled). */
function unitsKept(line: LineQuantities): number {
  return line.quantity - line.quantityCancelled;
}

export function itemStatus(line: LineQuantities): ItemStatus {
  const kept = unitsKept(line);
  if (kept === 0) return ItemStatus.CANCELLED;
  if (line.quantityShipped === 0) return ItemStatus.PENDING;
  if (line.quantityShipped < kept) return ItemStatus.PARTIALLY_SHIPPED;
  return line.quantityDelivered === kept ? ItemStatus.DELIVERED : ItemStatus.SHIPPED;
}

/**
 * The status the lines and shipments of an order in `current` call for:
 * every unit cancelled: CANCELLED; otherwise an unpaid order stays as it is;
 * a paid one with some units shipped, not all: PARTIALLY_SHIPPED; every unit
 * not cancelled shipped: SHIPPED, and DELIVERED once every shipment is.
 */
export function statusOfLines(
  current: OrderStatus,
  lines: readonly LineQuantities[],
  shipments: readonly { delivered: boolean }[],
): OrderStatus {
  const kept = lines.reduce((sum, line) => sum + unitsKept(line), 0);
  if (kept === 0) return OrderStatus.CANCELLED;
  if (!isPaid(current)) return current;
  const shipped = lines.reduce((sum, line) => sum + line.quantityShipped, 0);
  if (shipped === 0) return current;
  if (shipped < kept) return OrderStatus.PARTIALLY_SHIPPED;
  return shipments.length > 0 && shipments.every((s) => s.delivered) ? OrderStatus.DELIVERED : OrderStatus.SHIPPED;
}

/**
 * The moves, one change each, that take an order from `current` to `target`.
 * Only one needs two: the last units of a PARTIALLY_SHIPPED order cancelled
 * after every shipment was delivered make it SHIPPED, then DELIVERED.
 */
export function movesTowards(current: OrderStatus, target: OrderStatus): OrderStatus[] {
  if (current === target) return [];
  if (current === OrderStatus.PARTIALLY_SHIPPED && target === OrderStatus.DELIVERED) {
    return [OrderStatus.SHIPPED, OrderStatus.DELIVERED];
  }
  return [target];
}

/**
 * Pairs each requested line with the order's line of that sku, checking that
 * it has that many units left (`verb` says what for, in the error):
 * BAD_USER_INPUT for an unknown sku or more than is left.
 */
export function takeUnits<L extends PricedLine>(
  lines: readonly L[],
  requested: readonly UnitsOf[],
  verb: 'ship' | 'cancel',
): { line: L; quantity: number }[] {
  return requested.map((want, i) => {
    const line = lines.find((l) => l.sku === want.sku);
    if (!line) throw new BadInputError(`The order has no line ${want.sku}`, `lines.${i}.sku`);
    const left = unitsLeft(line);
    if (want.quantity > left) {
      throw new BadInputError(
        `Only ${left} of ${want.sku} left to ${verb} (neither shipped nor cancelled); asked for ${want.quantity}`,
        `lines.${i}.quantity`,
      );
    }
    return { line, quantity: want.quantity };
  });
}

/** Every unit of the order still left, as lines (what "ship everything left" or "cancel the order" takes). */
export function everythingLeft(lines: readonly PricedLine[]): UnitsOf[] {
  return lines.filter((line) => unitsLeft(line) > 0).map((line) => ({ sku: line.sku, quantity: unitsLeft(line) }));
}

export function priceOf(taken: readonly { line: { unitPriceMinor: number }; quantity: number }[]): number {
  return taken.reduce((sum, t) => sum + t.line.unitPriceMinor * t.quantity, 0);
}

export interface OrderMoney {
  totalMinor: number;
  refundDueMinor: number;
}

/**
 * What cancelling units priced `priceMinor` does to an order in `status`:
 * unpaid, the total drops by their price (a later payment must match it) and
 * nothing is owed; paid, the total stays what was charged and their price is
 * owed back. So cancelling a whole paid order leaves owed the amount charged
 * for every unit not shipped, whichever path cancelled it.
 */
export function moneyAfterCancelling(status: OrderStatus, money: OrderMoney, priceMinor: number): OrderMoney {
  return isPaid(status)
    ? { totalMinor: money.totalMinor, refundDueMinor: money.refundDueMinor + priceMinor }
    : { totalMinor: money.totalMinor - priceMinor, refundDueMinor: money.refundDueMinor };
}
