// The whole event flow through the API: an order is created over GraphQL,
// its order.created goes out through the outbox relay, the payment simulator
// answers, the PaymentProcessed consumer marks it PAID and the audit consumer
// writes both entries of its history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateOrderDocument, OrderDocument } from '../generated/graphql.js';
import { addProduct, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ PAYMENT_SIMULATOR: 'true', PAYMENT_SIMULATOR_DELAY: '200ms' });
});
afterAll(async () => {
  await t?.stop();
});

describe('createOrder -> payment simulator -> PAID', () => {
  it('pays a new order by itself and shows both transitions in its history, oldest first', async () => {
    const sku = await addProduct(t, { stock: 5, priceMinor: 1250 });
    const customer = await newCustomer(t);
    const { createOrder } = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 2 }], shippingAddress: '1 Event Street' },
    });
    expect(createOrder.status).toBe('PENDING');

    const order = await waitFor('the order to be PAID with two history entries', async () => {
      const { order } = await customer.client.ok(OrderDocument, { id: createOrder.id });
      return order?.status === 'PAID' && order.history.length === 2 ? order : undefined;
    });

    expect(order.version).toBe(2);
    expect(order.history.map((h) => [h.type, h.fromStatus, h.toStatus, h.actor])).toEqual([
      ['order.created', null, 'PENDING', customer.id],
      ['order.status_changed', 'PENDING', 'PAID', 'system:payments'],
    ]);
    expect(Date.parse(order.history[0]!.occurredAt)).toBeLessThanOrEqual(Date.parse(order.history[1]!.occurredAt));
  });
});
