import { describe, expect, it } from 'vitest';
import { decidePayment, parsePaymentProcessed, type PaymentProcessedData } from './payment-result.js';
import { OrderStatus } from './status-machine.js';

const ORDER_ID = '0b9f8c1e-2d3a-4b5c-8d7e-6f5a4b3c2d1e';
const order = (status: OrderStatus) => ({ status, totalMinor: 3000, currency: 'EUR', ownerId: 'owner' });
const paid = (overrides: Partial<PaymentProcessedData> = {}): PaymentProcessedData => ({
  orderId: ORDER_ID,
  paymentId: 'pay_1',
  status: 'SUCCEEDED',
  amount: { minorUnits: 3000, currencyCode: 'EUR' },
  ...overrides,
});

describe('what a payment does to an order', () => {
  it('marks a pending order PAID when the amount and currency match', () => {
    expect(decidePayment(order(OrderStatus.PENDING), paid())).toEqual({ kind: 'move', to: 'PAID', reason: null });
  });

  it('marks it PAYMENT_FAILED with the payment’s reason when the payment failed', () => {
    expect(decidePayment(order(OrderStatus.PENDING), paid({ status: 'FAILED', reason: 'Card expired' }))).toEqual({
      kind: 'move',
      to: 'PAYMENT_FAILED',
      reason: 'Card expired',
    });
  });

  it('never marks it PAID when the amount differs', () => {
    const decision = decidePayment(
      order(OrderStatus.PENDING),
      paid({ amount: { minorUnits: 2999, currencyCode: 'EUR' } }),
    );
    expect(decision).toEqual({
      kind: 'move',
      to: 'PAYMENT_FAILED',
      reason: 'Payment pay_1 of 29.99 EUR does not match the order total 30.00 EUR',
    });
  });

  it('never marks it PAID when the currency differs', () => {
    const decision = decidePayment(
      order(OrderStatus.PENDING),
      paid({ amount: { minorUnits: 3000, currencyCode: 'USD' } }),
    );
    expect(decision).toMatchObject({ kind: 'move', to: 'PAYMENT_FAILED' });
  });

  it('lets a successful retry pay an order whose payment failed', () => {
    expect(decidePayment(order(OrderStatus.PAYMENT_FAILED), paid())).toMatchObject({ kind: 'move', to: 'PAID' });
  });

  it('changes nothing on an order already PAID, cancelled or shipped', () => {
    expect(decidePayment(order(OrderStatus.PAID), paid())).toMatchObject({ kind: 'ignore' });
    expect(decidePayment(order(OrderStatus.PAID), paid({ status: 'FAILED' }))).toMatchObject({ kind: 'ignore' });
    expect(decidePayment(order(OrderStatus.CANCELLED), paid())).toMatchObject({ kind: 'ignore' });
    expect(decidePayment(order(OrderStatus.SHIPPED), paid())).toMatchObject({ kind: 'ignore' });
    expect(decidePayment(order(OrderStatus.PAYMENT_FAILED), paid({ status: 'FAILED' }))).toMatchObject({
      kind: 'ignore',
    });
  });
});

describe('reading a PaymentProcessed message', () => {
  const body = (data: unknown, extra: Record<string, unknown> = {}) =>
    Buffer.from(
      JSON.stringify({ id: 'msg-1', type: 'payment.processed', occurredAt: '2026-01-01T00:00:00Z', data, ...extra }),
    );

  it('accepts the contract and lower-cases the order id', () => {
    const parsed = parsePaymentProcessed(body({ ...paid(), orderId: ORDER_ID.toUpperCase() }));
    expect(parsed.data).toEqual({ ...paid(), reason: null });
  });

  it.each([
    ['not JSON', Buffer.from('{'), /not JSON/],
    ['another type', body(paid(), { type: 'order.created' }), /Unexpected envelope.type/],
    ['no id', body(paid(), { id: '' }), /envelope.id/],
    ['a bad order id', body({ ...paid(), orderId: 'nope' }), /orderId/],
    ['an unknown status', body({ ...paid(), status: 'MAYBE' }), /status/],
    ['a float amount', body({ ...paid(), amount: { minorUnits: 12.5, currencyCode: 'EUR' } }), /minorUnits/],
    ['a bad currency', body({ ...paid(), amount: { minorUnits: 1, currencyCode: 'euro' } }), /currencyCode/],
  ])('refuses %s with MALFORMED_MESSAGE', (_name, content, message) => {
    expect(() => parsePaymentProcessed(content)).toThrow(message);
    try {
      parsePaymentProcessed(content);
    } catch (error) {
      expect((error as { code?: string }).code).toBe('MALFORMED_MESSAGE');
    }
  });
});
