// What each order event tells the customer, from hand-made envelopes: one
// message per kind of news, money in the currency's own format, and nothing
// from outside reaching the HTML unescaped.
import { describe, expect, it } from 'vitest';
import { formatMoney, messageFor, orderReference, type OrderFacts } from './messages.js';
import { parseNotifiableEvent, type NotifiableEvent } from './order-event-feed.js';

const ORDER_ID = '0b9f8c1e-2d3a-4b5c-8d7e-6f5a4b3c2d1e';
const CUSTOMER = '11111111-2222-4333-8444-555555555555';
const order: OrderFacts = {
  orderId: ORDER_ID,
  customerId: CUSTOMER,
  currency: 'EUR',
  totalMinor: 4000,
  items: [
    { sku: 'MUG', name: 'Mug <script>alert(1)</script>', quantity: 2, unitPriceMinor: 1250, lineTotalMinor: 2500 },
    { sku: 'CAP', name: 'Cap & "hat"', quantity: 1, unitPriceMinor: 1500, lineTotalMinor: 1500 },
  ],
};

function event(type: string, data: Record<string, unknown>): NotifiableEvent {
  const envelope = { id: 'a1b2c3d4-0000-4000-8000-000000000001', type, occurredAt: '2026-11-30T10:00:00Z', data };
  return parseNotifiableEvent(Buffer.from(JSON.stringify(envelope)));
}

const total = { minorUnits: 4000, currencyCode: 'EUR' };
/** What every event of a change carries. */
const change = (fromStatus: string, toStatus: string, version: number) => ({
  orderId: ORDER_ID,
  customerId: CUSTOMER,
  fromStatus,
  toStatus,
  version,
  actor: 'system:shipping',
});
const move = (fromStatus: string, toStatus: string, extra: Record<string, unknown> = {}) =>
  event(toStatus === 'CANCELLED' ? 'order.cancelled' : 'order.status_changed', {
    orderId: ORDER_ID,
    customerId: CUSTOMER,
    fromStatus,
    toStatus,
    version: 2,
    total,
    actor: 'system:payments',
    reason: null,
    ...extra,
  });

describe('messageFor', () => {
  it('order placed: every line with its name, and the total', () => {
    const placed = event('order.created', {
      orderId: ORDER_ID,
      customerId: CUSTOMER,
      status: 'PENDING',
      version: 1,
      total,
      items: [],
      actor: CUSTOMER,
    });
    const message = messageFor(placed, order);
    expect(message?.kind).toBe('ORDER_PLACED');
    expect(message?.title).toBe('Order 0B9F8C1E placed');
    expect(message?.email.text).toContain('2 × Mug <script>alert(1)</script> (€12.50 each)  €25.00');
    expect(message?.email.text).toMatch(/Total\s+€40\.00/);
    expect(message?.email.html).toContain('Mug &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(message?.email.html).toContain('Cap &amp; &quot;hat&quot;');
    expect(message?.email.html).not.toContain('<script>');
  });

  it('paid and payment failed (with the reason) from status moves', () => {
    expect(messageFor(move('PENDING', 'PAID'), order)).toMatchObject({
      kind: 'ORDER_PAID',
      body: 'We received your payment of €40.00 for order 0B9F8C1E.',
    });
    const failed = messageFor(move('PENDING', 'PAYMENT_FAILED', { reason: 'Card <declined>' }), order);
    expect(failed?.kind).toBe('PAYMENT_FAILED');
    expect(failed?.body).toContain('failed: Card <declined>');
    expect(failed?.email.text).toContain('Reason: Card <declined>');
    expect(failed?.email.html).toContain('Card &lt;declined&gt;');
  });

  it('a move to PARTIALLY_SHIPPED, SHIPPED or DELIVERED tells nothing: its shipment event tells it, once', () => {
    expect(messageFor(move('PAID', 'PARTIALLY_SHIPPED'), order)).toBeNull();
    expect(messageFor(move('PAID', 'SHIPPED'), order)).toBeNull();
    expect(messageFor(move('PARTIALLY_SHIPPED', 'SHIPPED'), order)).toBeNull();
    expect(messageFor(move('SHIPPED', 'DELIVERED'), order)).toBeNull();
  });

  it('cancelled: the refund due is the total of a paid order, nothing for an unpaid one, or what the event says', () => {
    const paid = messageFor(move('PAID', 'CANCELLED', { reason: 'Out of <stock>' }), order);
    expect(paid?.kind).toBe('ORDER_CANCELLED');
    expect(paid?.body).toBe('Your order 0B9F8C1E has been cancelled. A refund of €40.00 is due to you.');
    expect(paid?.email.text).toContain('Refund due: €40.00');
    expect(paid?.email.text).toContain('Reason: Out of <stock>');
    expect(paid?.email.html).toContain('Out of &lt;stock&gt;');
    const unpaid = messageFor(move('PENDING', 'CANCELLED'), order);
    expect(unpaid?.body).toContain('Nothing was charged, so nothing is owed.');
    expect(unpaid?.email.text).toContain('Refund due: €0.00');
    const partly = messageFor(
      move('PAID', 'CANCELLED', { refundDue: { minorUnits: 1500, currencyCode: 'EUR' } }),
      order,
    );
    expect(partly?.email.text).toContain('Refund due: €15.00');
  });

  it('shipped from a shipment: its lines by name, carrier and tracking number', () => {
    const shipped = messageFor(
      event('order.shipment_created', {
        ...change('PAID', 'PARTIALLY_SHIPPED', 3),
        shipmentId: 'SHP-9',
        lines: [{ sku: 'CAP', quantity: 1 }],
        carrier: 'UPS',
        trackingNumber: '1Z999',
      }),
      order,
    );
    expect(shipped?.kind).toBe('ORDER_SHIPPED');
    expect(shipped?.email.text).toContain('1 × Cap & "hat"');
    expect(shipped?.email.text).toContain('Carrier: UPS\nTracking number: 1Z999');
    expect(shipped?.body).toBe('Items of your order 0B9F8C1E are on their way with UPS (tracking number 1Z999).');
  });

  it('delivered from a shipment: one shipment, or the whole order with the last one', () => {
    const delivered = (toStatus: string) =>
      messageFor(
        event('order.shipment_delivered', {
          ...change('SHIPPED', toStatus, 4),
          shipmentId: 'SHP-9',
          lines: [{ sku: 'CAP', quantity: 1 }],
        }),
        order,
      );
    const one = delivered('SHIPPED');
    expect(one?.kind).toBe('ORDER_DELIVERED');
    expect(one?.body).toBe('A shipment of your order 0B9F8C1E has been delivered.');
    expect(one?.email.text).toContain('1 × Cap & "hat"');
    expect(delivered('DELIVERED')?.body).toBe('Your order 0B9F8C1E has been delivered.');
  });

  const linesCancelled = (fromStatus: string, toStatus: string, refund: number) =>
    event('order.lines_cancelled', {
      ...change(fromStatus, toStatus, 3),
      lines: [{ sku: 'MUG', quantity: 1 }],
      refund: { minorUnits: refund, currencyCode: 'EUR' },
      total: total,
      refundDue: { minorUnits: refund + 500, currencyCode: 'EUR' },
      reason: 'Out of <glaze>',
    });

  it('lines cancelled: the refund this cancellation adds, or nothing owed on an unpaid order', () => {
    const paid = messageFor(linesCancelled('PAID', 'PAID', 1250), order);
    expect(paid?.kind).toBe('ITEMS_CANCELLED');
    expect(paid?.body).toContain('A refund of €12.50 is due to you.');
    expect(paid?.email.text).toContain('1 × Mug <script>alert(1)</script>');
    expect(paid?.email.text).toContain('Reason: Out of <glaze>');
    expect(paid?.email.html).toContain('Out of &lt;glaze&gt;');
    const unpaid = messageFor(linesCancelled('PENDING', 'PENDING', 0), order);
    expect(unpaid?.body).toContain('Nothing was charged for them, so nothing is owed.');
  });

  it('the last lines cancelled tell nothing: the order.cancelled of the same change does', () => {
    expect(messageFor(linesCancelled('PAID', 'CANCELLED', 1250), order)).toBeNull();
  });

  it('refuses an event type it does not know, and a fulfilment event without its fields', () => {
    expect(() => event('order.exploded', { orderId: ORDER_ID, actor: 'x' })).toThrow(/Unexpected envelope.type/);
    expect(() => event('order.shipment_created', { ...change('PAID', 'SHIPPED', 3), lines: [] })).toThrow(/shipmentId/);
    expect(() =>
      event('order.shipment_created', { ...change('PAID', 'SHIPPED', 3), shipmentId: 's', lines: [{ sku: 1 }] }),
    ).toThrow(/lines/);
    expect(() => event('order.lines_cancelled', { ...change('PAID', 'SHIPPED', 3), toStatus: 'LOST' })).toThrow(
      /toStatus/,
    );
  });
});

describe('formatMoney', () => {
  it('uses each currency’s symbol and decimals', () => {
    expect(formatMoney(2500, 'EUR')).toBe('€25.00');
    expect(formatMoney(5, 'USD')).toBe('$0.05');
    expect(formatMoney(500, 'JPY')).toBe('¥500');
    expect(formatMoney(1234, 'KWD')).toMatch(/^KWD\s1\.234$/);
    expect(formatMoney(123456789, 'GBP')).toBe('£1,234,567.89');
  });

  it('short order references are the start of the id', () => {
    expect(orderReference(ORDER_ID)).toBe('0B9F8C1E');
  });
});
