import { describe, expect, it } from 'vitest';
import type { OrderCreatedData } from '../src/orders/order-events.js';
import { OrderStatus } from '../src/orders/status-machine.js';
import type { EventEnvelope } from '../src/outbox/envelope.js';
import { derivedId, simulatedPayment } from './payment-simulator.js';

const created = (id: string): EventEnvelope<OrderCreatedData> => ({
  id,
  type: 'order.created',
  occurredAt: '2026-01-01T00:00:00Z',
  data: {
    orderId: '0b9f8c1e-2d3a-4b5c-8d7e-6f5a4b3c2d1e',
    customerId: 'c',
    status: OrderStatus.PENDING,
    version: 1,
    total: { minorUnits: 4200, currencyCode: 'EUR' },
    items: [],
    actor: 'c',
  },
});

describe('the payment simulator', () => {
  it('pays the order total, SUCCEEDED by default', () => {
    const payment = simulatedPayment(created('e1'), 0);
    expect(payment.type).toBe('payment.processed');
    expect(payment.data).toMatchObject({
      orderId: '0b9f8c1e-2d3a-4b5c-8d7e-6f5a4b3c2d1e',
      status: 'SUCCEEDED',
      amount: { minorUnits: 4200, currencyCode: 'EUR' },
    });
  });

  it('answers a redelivered order.created with the same message id and outcome', () => {
    const a = simulatedPayment(created('e2'), 0.5);
    const b = simulatedPayment(created('e2'), 0.5);
    expect(a.id).toBe(b.id);
    expect(a.data.status).toBe(b.data.status);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedId('x')).not.toBe(derivedId('y'));
  });

  it('fails every payment at a failure rate of 1, and about the given share otherwise', () => {
    expect(simulatedPayment(created('e3'), 1).data).toMatchObject({ status: 'FAILED', reason: expect.any(String) });
    const failures = Array.from({ length: 400 }, (_, i) => simulatedPayment(created(`order-${i}`), 0.25)).filter(
      (p) => p.data.status === 'FAILED',
    ).length;
    expect(failures).toBeGreaterThan(60);
    expect(failures).toBeLessThan(140);
  });
});
