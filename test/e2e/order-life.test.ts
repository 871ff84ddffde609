// The whole life of an order on its own, as `npm start` shows it: the payment
// simulator pays it, the shipping simulator ships it (in two shipments when it
// has more than one line) and delivers each shipment, all through the broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelOrderLinesDocument, CreateOrderDocument, OrderDocument } from '../generated/graphql.js';
import { addProduct, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { publishPayment } from '../support/events.js';
import { changesInDatabase } from '../support/tracker.js';
import { waitFor } from '../support/wait.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({
    PAYMENT_SIMULATOR: 'true',
    PAYMENT_SIMULATOR_DELAY: '1s',
    SHIPPING_SIMULATOR: 'true',
    SHIPPING_SIMULATOR_DELAY: '300ms',
  });
});
afterAll(async () => {
  await t?.stop();
});

/** The statuses an order went through, each once, in order. */
async function statusPath(orderId: string): Promise<string[]> {
  const path = ['PENDING'];
  for (const change of await changesInDatabase(t, [orderId]))
    if (path.at(-1) !== change.status) path.push(change.status);
  return path;
}

/** A new customer's order of 2 mugs and 1 cap, left to the simulators. */
async function twoMugsAndACap(shippingAddress: string) {
  const mug = await addProduct(t, { stock: 5, priceMinor: 1250 });
  const cap = await addProduct(t, { stock: 5, priceMinor: 1500 });
  const customer = await newCustomer(t);
  const { createOrder } = await customer.client.ok(CreateOrderDocument, {
    input: {
      items: [
        { sku: mug, quantity: 2 },
        { sku: cap, quantity: 1 },
      ],
      shippingAddress,
    },
  });
  return { mug, cap, customer, createOrder };
}

describe('an order left alone', () => {
  it('goes PENDING -> PAID -> PARTIALLY_SHIPPED -> SHIPPED -> DELIVERED by itself, in two shipments', async () => {
    const { mug, cap, customer, createOrder } = await twoMugsAndACap('1 Simulated Street');
    const order = await waitFor(
      'the order to be DELIVERED',
      async () => {
        const { order } = await customer.client.ok(OrderDocument, { id: createOrder.id });
        return order?.status === 'DELIVERED' ? order : undefined;
      },
      30_000,
    );
    expect(await statusPath(order.id)).toEqual(['PENDING', 'PAID', 'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED']);
    expect(order.shipments.map((s) => s.lines)).toEqual([[{ sku: mug, quantity: 2 }], [{ sku: cap, quantity: 1 }]]);
    for (const shipment of order.shipments) {
      expect(shipment).toMatchObject({ status: 'DELIVERED', id: expect.stringMatching(/^SIM-/) });
      expect(shipment.carrier).toBeTruthy();
      expect(shipment.trackingNumber).toMatch(/^SIM\d{10}$/);
    }
    // Paid, two shipments, two deliveries: five changes, no more.
    expect(order.version).toBe(6);
    const history = await waitFor('the whole history', async () => {
      const { order: read } = await customer.client.ok(OrderDocument, { id: order.id });
      return read && read.history.length === 9 ? read.history : undefined;
    });
    expect(history.filter((h) => h.type.startsWith('order.shipment')).every((h) => h.actor === 'system:shipping')).toBe(
      true,
    );
  });

  it('ships only what is left: a line cancelled before payment is not sent', async () => {
    const { mug, cap, customer, createOrder } = await twoMugsAndACap('2 Simulated Street');
    // Before the simulator pays: it pays the total of order.created, which is no longer the order's.
    await customer.client.ok(CancelOrderLinesDocument, {
      input: { orderId: createOrder.id, lines: [{ sku: cap, quantity: 1 }] },
    });
    const failed = await waitFor('the payment of the old total to fail', async () => {
      const { order } = await customer.client.ok(OrderDocument, { id: createOrder.id });
      return order?.status === 'PAYMENT_FAILED' ? order : undefined;
    });
    expect(failed.total.minorUnits).toBe(2500);
    // Paid again, for the new total: the simulator ships what is left, one line, in one shipment.
    await publishPayment(t, {
      orderId: createOrder.id,
      paymentId: 'pay_again',
      status: 'SUCCEEDED',
      amount: { minorUnits: 2500, currencyCode: 'EUR' },
    });
    const order = await waitFor(
      'the order to be DELIVERED',
      async () => {
        const { order } = await customer.client.ok(OrderDocument, { id: createOrder.id });
        return order?.status === 'DELIVERED' ? order : undefined;
      },
      30_000,
    );
    expect(order.shipments.map((s) => s.lines)).toEqual([[{ sku: mug, quantity: 2 }]]);
    expect(order.items.map((i) => [i.sku, i.status])).toEqual([
      [mug, 'DELIVERED'],
      [cap, 'CANCELLED'],
    ]);
    expect(await statusPath(order.id)).toEqual(['PENDING', 'PAYMENT_FAILED', 'PAID', 'SHIPPED', 'DELIVERED']);
  });
});
