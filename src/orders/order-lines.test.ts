// The line rules of SPEC section 10, sentence by sentence, on plain data.
import { describe, expect, it } from 'vitest';
import {
  everythingLeft,
  ItemStatus,
  itemStatus,
  moneyAfterCancelling,
  movesTowards,
  statusOfLines,
  takeUnits,
  unitsLeft,
  type PricedLine,
} from './order-lines.js';
import { OrderStatus } from './status-machine.js';

const line = (quantity: number, shipped = 0, delivered = 0, cancelled = 0, sku = 'MUG', unitPriceMinor = 1250) => ({
  sku,
  unitPriceMinor,
  quantity,
  quantityShipped: shipped,
  quantityDelivered: delivered,
  quantityCancelled: cancelled,
});
const shipments = (...delivered: boolean[]) => delivered.map((d) => ({ delivered: d }));

describe("a line's status", () => {
  it.each([
    ['nothing shipped', line(3), ItemStatus.PENDING],
    ['some units shipped, not all', line(3, 2), ItemStatus.PARTIALLY_SHIPPED],
    ['every unit shipped', line(3, 3), ItemStatus.SHIPPED],
    ['every unit shipped, some delivered', line(3, 3, 1), ItemStatus.SHIPPED],
    ['every unit delivered', line(3, 3, 3), ItemStatus.DELIVERED],
    ['some delivered while others wait to ship', line(3, 1, 1), ItemStatus.PARTIALLY_SHIPPED],
    ['every unit cancelled', line(3, 0, 0, 3), ItemStatus.CANCELLED],
    ['the units not cancelled all shipped', line(3, 2, 0, 1), ItemStatus.SHIPPED],
    ['the units not cancelled all delivered', line(3, 2, 2, 1), ItemStatus.DELIVERED],
    ['some cancelled, none shipped', line(3, 0, 0, 1), ItemStatus.PENDING],
  ])('%s: %s', (_name, quantities, expected) => {
    expect(itemStatus(quantities)).toBe(expected);
  });

  it('counts as left the units neither shipped nor cancelled', () => {
    expect(unitsLeft(line(5, 2, 1, 1))).toBe(2);
    expect(everythingLeft([line(5, 2, 1, 1, 'A'), line(1, 1, 0, 0, 'B'), line(2, 0, 0, 0, 'C')])).toEqual([
      { sku: 'A', quantity: 2 },
      { sku: 'C', quantity: 2 },
    ]);
  });
});

describe("the order's status follows its items", () => {
  it('"some shipped, not all: PARTIALLY_SHIPPED"', () => {
    expect(statusOfLines(OrderStatus.PAID, [line(3, 1), line(2)], shipments(false))).toBe(
      OrderStatus.PARTIALLY_SHIPPED,
    );
  });

  it('"every non-cancelled unit shipped: SHIPPED"', () => {
    expect(statusOfLines(OrderStatus.PARTIALLY_SHIPPED, [line(3, 3), line(2, 1, 0, 1)], shipments(false, true))).toBe(
      OrderStatus.SHIPPED,
    );
  });

  it('"every shipment delivered: DELIVERED" (and only then)', () => {
    expect(statusOfLines(OrderStatus.SHIPPED, [line(3, 3, 3), line(2, 2, 2)], shipments(true, true))).toBe(
      OrderStatus.DELIVERED,
    );
    expect(statusOfLines(OrderStatus.SHIPPED, [line(3, 3, 3), line(2, 2)], shipments(true, false))).toBe(
      OrderStatus.SHIPPED,
    );
    // Every shipment delivered but units still to ship: not delivered yet.
    expect(statusOfLines(OrderStatus.PARTIALLY_SHIPPED, [line(3, 1, 1), line(2)], shipments(true))).toBe(
      OrderStatus.PARTIALLY_SHIPPED,
    );
  });

  it('"cancelling every unit cancels the order", paid or not', () => {
    for (const status of [OrderStatus.PENDING, OrderStatus.PAYMENT_FAILED, OrderStatus.PAID]) {
      expect(statusOfLines(status, [line(3, 0, 0, 3), line(1, 0, 0, 1)], [])).toBe(OrderStatus.CANCELLED);
    }
  });

  it('"cancelling all that is left of a partially shipped order makes it SHIPPED"', () => {
    expect(statusOfLines(OrderStatus.PARTIALLY_SHIPPED, [line(3, 1, 0, 2), line(2, 2)], shipments(false))).toBe(
      OrderStatus.SHIPPED,
    );
  });

  it('...and DELIVERED after it, in a second move, when every shipment was already delivered', () => {
    const target = statusOfLines(OrderStatus.PARTIALLY_SHIPPED, [line(3, 1, 1, 2)], shipments(true));
    expect(target).toBe(OrderStatus.DELIVERED);
    expect(movesTowards(OrderStatus.PARTIALLY_SHIPPED, target)).toEqual([OrderStatus.SHIPPED, OrderStatus.DELIVERED]);
    expect(movesTowards(OrderStatus.PAID, OrderStatus.SHIPPED)).toEqual([OrderStatus.SHIPPED]);
    expect(movesTowards(OrderStatus.PAID, OrderStatus.PAID)).toEqual([]);
  });

  it('leaves an unpaid order as it is while some units are not cancelled (unpaid orders do not ship)', () => {
    expect(statusOfLines(OrderStatus.PENDING, [line(3, 0, 0, 1)], [])).toBe(OrderStatus.PENDING);
    expect(statusOfLines(OrderStatus.PAYMENT_FAILED, [line(3)], [])).toBe(OrderStatus.PAYMENT_FAILED);
    expect(statusOfLines(OrderStatus.PAID, [line(3, 0, 0, 2)], [])).toBe(OrderStatus.PAID);
  });
});

describe('"a shipment takes any quantities not yet shipped or cancelled; more or an unknown sku is BAD_USER_INPUT"', () => {
  const lines: PricedLine[] = [line(3, 1, 0, 1, 'MUG'), line(2, 0, 0, 0, 'CAP', 1500)];

  it('takes up to what is left of each line', () => {
    const taken = takeUnits(
      lines,
      [
        { sku: 'MUG', quantity: 1 },
        { sku: 'CAP', quantity: 2 },
      ],
      'ship',
    );
    expect(taken.map((t) => [t.line.sku, t.quantity])).toEqual([
      ['MUG', 1],
      ['CAP', 2],
    ]);
  });

  it('refuses more than is left, naming what is', () => {
    expect(() => takeUnits(lines, [{ sku: 'MUG', quantity: 2 }], 'ship')).toThrow(
      'Only 1 of MUG left to ship (neither shipped nor cancelled); asked for 2',
    );
    expect(() => takeUnits(lines, [{ sku: 'MUG', quantity: 2 }], 'cancel')).toThrow(/left to cancel/);
  });

  it('refuses a sku the order does not have', () => {
    try {
      takeUnits(lines, [{ sku: 'HAT', quantity: 1 }], 'ship');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: 'The order has no line HAT' });
    }
  });
});

describe('what cancelling units does to the money', () => {
  const money = { totalMinor: 4000, refundDueMinor: 0 };

  it.each([OrderStatus.PENDING, OrderStatus.PAYMENT_FAILED])(
    '"on an unpaid order the total drops by their price and refundDue stays 0" (%s)',
    (status) => {
      expect(moneyAfterCancelling(status, money, 1250)).toEqual({ totalMinor: 2750, refundDueMinor: 0 });
    },
  );

  it.each([OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED])(
    '"on a paid order total stays what was charged and refundDue grows by their price" (%s)',
    (status) => {
      const once = moneyAfterCancelling(status, money, 1250);
      expect(once).toEqual({ totalMinor: 4000, refundDueMinor: 1250 });
      expect(moneyAfterCancelling(status, once, 1500)).toEqual({ totalMinor: 4000, refundDueMinor: 2750 });
    },
  );

  it('"cancelling a whole PAID order (by any path) makes refundDue the amount charged for units not shipped"', () => {
    // Two units cancelled before payment (the customer paid 2 × 1250), then the paid order cancelled: at once,
    // or line by line, the customer is owed exactly what was charged.
    const unpaid = moneyAfterCancelling(OrderStatus.PENDING, { totalMinor: 5000, refundDueMinor: 0 }, 2500);
    expect(unpaid.totalMinor).toBe(2500);
    const atOnce = moneyAfterCancelling(OrderStatus.PAID, unpaid, 2500);
    const byLines = moneyAfterCancelling(OrderStatus.PAID, moneyAfterCancelling(OrderStatus.PAID, unpaid, 1250), 1250);
    expect(atOnce).toEqual({ totalMinor: 2500, refundDueMinor: 2500 });
    expect(byLines).toEqual(atOnce);
  });
});
