// Orders under retries and races, through the GraphQL API as a client sends them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Order } from '../../src/orders/order.entity.js';
import { OutboxMessage } from '../../src/outbox/outbox.entity.js';
import { CreateOrderDocument, UpdateOrderStatusDocument } from '../generated/graphql.js';
import { codes } from '../support/client.js';
import { addProduct, adminClient, newCustomer, startTestApp, stockOf, type TestApp } from '../support/harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

describe('concurrent createOrder', () => {
  it('20 concurrent calls with one idempotency key place one order and take stock once', async () => {
    const sku = await addProduct(t, { stock: 100 });
    const customer = await newCustomer(t);
    const input = { items: [{ sku, quantity: 3 }], shippingAddress: '1 Retry Road', idempotencyKey: 'checkout-42' };

    const results = await Promise.all(
      Array.from({ length: 20 }, () => customer.client.request(CreateOrderDocument, { input })),
    );

    for (const result of results) expect(result.errors).toBeUndefined();
    const ids = new Set(results.map((r) => r.data?.createOrder.id));
    expect(ids.size).toBe(1);
    expect(await stockOf(t, sku)).toBe(97);
    const em = t.app.orm.em.fork();
    expect(await em.count(Order, { customer: customer.id })).toBe(1);
    const [orderId] = [...ids] as string[];
    expect(await em.count(OutboxMessage, { aggregateId: orderId })).toBe(1);
  });

  it('the same key from another customer is another order', async () => {
    const sku = await addProduct(t, { stock: 10 });
    const [a, b] = [await newCustomer(t), await newCustomer(t)];
    const input = { items: [{ sku, quantity: 1 }], shippingAddress: 'x', idempotencyKey: 'shared-key' };
    const first = await a.client.ok(CreateOrderDocument, { input });
    const second = await b.client.ok(CreateOrderDocument, { input });
    expect(first.createOrder.id).not.toBe(second.createOrder.id);
    expect(await stockOf(t, sku)).toBe(8);
  });

  it('50 concurrent orders against stock 10: exactly 10 succeed and stock ends at 0', async () => {
    const sku = await addProduct(t, { stock: 10 });
    const customers = await Promise.all(Array.from({ length: 5 }, () => newCustomer(t)));

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        customers[i % customers.length]!.client.request(CreateOrderDocument, {
          input: { items: [{ sku, quantity: 1 }], shippingAddress: `Flat ${i}` },
        }),
      ),
    );

    const succeeded = results.filter((r) => r.data?.createOrder);
    const refused = results.filter((r) => codes(r).includes('OUT_OF_STOCK'));
    expect(succeeded).toHaveLength(10);
    expect(refused).toHaveLength(40);
    expect(await stockOf(t, sku)).toBe(0);
  });
});

describe('concurrent updateOrderStatus', () => {
  it('two updates with the same expectedVersion: one wins, the other gets CONFLICT', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const customer = await newCustomer(t);
    const admin = await adminClient(t);
    const created = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 1 }], shippingAddress: 'Race Street' },
    });
    const orderId = created.createOrder.id;
    expect(created.createOrder.version).toBe(1);

    const [paid, failed] = await Promise.all([
      admin.client.request(UpdateOrderStatusDocument, { input: { orderId, status: 'PAID', expectedVersion: 1 } }),
      admin.client.request(UpdateOrderStatusDocument, {
        input: { orderId, status: 'PAYMENT_FAILED', expectedVersion: 1 },
      }),
    ]);

    const outcomes = [paid, failed];
    const winners = outcomes.filter((r) => r.data?.updateOrderStatus);
    const losers = outcomes.filter((r) => codes(r).includes('CONFLICT'));
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(winners[0]!.data!.updateOrderStatus.version).toBe(2);

    const order = await t.app.orm.em.fork().findOneOrFail(Order, { id: orderId });
    expect(order.version).toBe(2);
    expect(order.status).toBe(winners[0]!.data!.updateOrderStatus.status);
    // One creation event and one status change: the loser wrote nothing.
    expect(await t.app.orm.em.fork().count(OutboxMessage, { aggregateId: orderId })).toBe(2);
  });

  it('a stale expectedVersion is refused with CONFLICT and changes nothing', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const customer = await newCustomer(t);
    const admin = await adminClient(t);
    const { createOrder } = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 1 }], shippingAddress: 'Stale Lane' },
    });
    await admin.client.ok(UpdateOrderStatusDocument, {
      input: { orderId: createOrder.id, status: 'PAID', expectedVersion: 1 },
    });
    const stale = await admin.client.request(UpdateOrderStatusDocument, {
      input: { orderId: createOrder.id, status: 'SHIPPED', expectedVersion: 1 },
    });
    expect(codes(stale)).toEqual(['CONFLICT']);
    const order = await t.app.orm.em.fork().findOneOrFail(Order, { id: createOrder.id });
    expect(order.status).toBe('PAID');
    expect(order.version).toBe(2);
  });
});
