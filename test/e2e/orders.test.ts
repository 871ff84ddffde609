// Placing, reading, listing and moving orders through the GraphQL API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Order } from '../../src/orders/order.entity.js';
import { OutboxMessage } from '../../src/outbox/outbox.entity.js';
import {
  CancelOrderDocument,
  CreateOrderDocument,
  OrderDocument,
  OrdersDocument,
  ProductsDocument,
  UpdateOrderStatusDocument,
} from '../generated/graphql.js';
import { codes, type GraphQLClient } from '../support/client.js';
import { waitFor } from '../support/wait.js';
import { addProduct, adminClient, newCustomer, startTestApp, stockOf, type TestApp } from '../support/harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

async function placeOrder(client: GraphQLClient, sku: string, quantity = 1) {
  const { createOrder } = await client.ok(CreateOrderDocument, {
    input: { items: [{ sku, quantity }], shippingAddress: '10 Downing St' },
  });
  return createOrder;
}

/** Rows that prove "nothing written": orders and outbox events. */
async function writes() {
  const em = t.app.orm.em.fork();
  return { orders: await em.count(Order, {}), events: await em.count(OutboxMessage, {}) };
}

describe('products', () => {
  it('lists the seeded catalogue without a token', async () => {
    const { products } = await t.client.ok(ProductsDocument);
    const mug = products.find((p) => p.sku === 'MUG-LOGO');
    expect(mug?.price).toEqual({ amount: '12.50', currencyCode: 'EUR', minorUnits: 1250 });
  });
});

describe('createOrder', () => {
  it('prices every line from the catalogue and reserves stock', async () => {
    const cheap = await addProduct(t, { stock: 10, priceMinor: 250 });
    const dear = await addProduct(t, { stock: 10, priceMinor: 10_000 });
    const customer = await newCustomer(t);
    const { createOrder } = await customer.client.ok(CreateOrderDocument, {
      input: {
        items: [
          { sku: cheap, quantity: 3 },
          { sku: dear, quantity: 2 },
        ],
        shippingAddress: '  221B Baker Street  ',
      },
    });
    expect(createOrder.status).toBe('PENDING');
    expect(createOrder.version).toBe(1);
    expect(createOrder.shippingAddress).toBe('221B Baker Street');
    expect(createOrder.customer).toEqual({ id: customer.id, email: customer.email });
    expect(createOrder.items.map((i) => [i.sku, i.quantity, i.unitPrice.minorUnits, i.lineTotal.amount])).toEqual([
      [cheap, 3, 250, '7.50'],
      [dear, 2, 10_000, '200.00'],
    ]);
    expect(createOrder.total).toEqual({ amount: '207.50', currencyCode: 'EUR', minorUnits: 20_750 });
    expect(await stockOf(t, cheap)).toBe(7);
    expect(await stockOf(t, dear)).toBe(8);
  });

  it('writes the order.created event to the outbox in the same transaction', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const customer = await newCustomer(t);
    const order = await placeOrder(customer.client, sku, 2);
    const events = await t.app.orm.em.fork().find(OutboxMessage, { aggregateId: order.id });
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event!.type).toBe('order.created');
    expect(event!.envelope).toMatchObject({
      id: event!.id,
      type: 'order.created',
      data: { orderId: order.id, customerId: customer.id, status: 'PENDING', total: { minorUnits: 2000 } },
    });
    expect(event!.correlationId).toBeTruthy();
  });

  it('refuses more than the stock with OUT_OF_STOCK and writes nothing', async () => {
    const plenty = await addProduct(t, { stock: 10 });
    const scarce = await addProduct(t, { stock: 1 });
    const customer = await newCustomer(t);
    const before = await writes();
    const result = await customer.client.request(CreateOrderDocument, {
      input: {
        items: [
          { sku: plenty, quantity: 4 },
          { sku: scarce, quantity: 2 },
        ],
        shippingAddress: 'x',
      },
    });
    expect(codes(result)).toEqual(['OUT_OF_STOCK']);
    expect(result.errors?.[0]?.extensions).toMatchObject({ sku: scarce });
    expect(await writes()).toEqual(before);
    expect(await stockOf(t, plenty)).toBe(10); // the first line's reservation was rolled back
    expect(await stockOf(t, scarce)).toBe(1);
  });

  it.each([
    ['an unknown sku', { items: [{ sku: 'NO-SUCH-SKU', quantity: 1 }], shippingAddress: 'x' }],
    ['quantity 0', { items: [{ sku: 'MUG-LOGO', quantity: 0 }], shippingAddress: 'x' }],
    ['quantity 1001', { items: [{ sku: 'MUG-LOGO', quantity: 1001 }], shippingAddress: 'x' }],
    ['no items', { items: [], shippingAddress: 'x' }],
    ['a blank address', { items: [{ sku: 'MUG-LOGO', quantity: 1 }], shippingAddress: ' ' }],
    ['an address with a NUL byte', { items: [{ sku: 'MUG-LOGO', quantity: 1 }], shippingAddress: 'a\u0000b' }],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_name, input) => {
    const customer = await newCustomer(t);
    const before = await writes();
    const stock = await stockOf(t, 'MUG-LOGO');
    const result = await customer.client.request(CreateOrderDocument, { input });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(await writes()).toEqual(before);
    expect(await stockOf(t, 'MUG-LOGO')).toBe(stock);
  });

  it('refuses a quantity that is not an Int at the GraphQL layer', async () => {
    const customer = await newCustomer(t);
    const result = await customer.client.request(CreateOrderDocument, {
      input: { items: [{ sku: 'MUG-LOGO', quantity: 1.5 }], shippingAddress: 'x' },
    });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
  });

  it('needs a token', async () => {
    const result = await t.client.request(CreateOrderDocument, {
      input: { items: [{ sku: 'MUG-LOGO', quantity: 1 }], shippingAddress: 'x' },
    });
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('ownership', () => {
  it("customer B cannot read, cancel, move or list customer A's orders", async () => {
    const sku = await addProduct(t, { stock: 5 });
    const a = await newCustomer(t);
    const b = await newCustomer(t);
    const order = await placeOrder(a.client, sku);

    const read = await b.client.request(OrderDocument, { id: order.id });
    const missing = await b.client.request(OrderDocument, { id: '00000000-0000-4000-8000-000000000000' });
    expect(codes(read)).toEqual(['NOT_FOUND']);
    expect(read.data).toEqual({ order: null });
    // Someone else's order reads exactly as a missing one.
    expect(read.errors?.[0]?.message).toBe(missing.errors?.[0]?.message);

    expect(codes(await b.client.request(CancelOrderDocument, { input: { orderId: order.id } }))).toEqual(['NOT_FOUND']);
    expect(
      codes(await b.client.request(UpdateOrderStatusDocument, { input: { orderId: order.id, status: 'CANCELLED' } })),
    ).toEqual(['NOT_FOUND']);

    const listed = await b.client.ok(OrdersDocument, {});
    expect(listed.orders.edges.map((e) => e.node.id)).not.toContain(order.id);
    expect(listed.orders.totalCount).toBe(0);
    const filtered = await b.client.request(OrdersDocument, { filter: { customerId: a.id } });
    expect(codes(filtered)).toEqual(['FORBIDDEN']);

    const untouched = await a.client.ok(OrderDocument, { id: order.id });
    expect(untouched.order?.status).toBe('PENDING');
    expect(untouched.order?.version).toBe(1);
  });

  it('an admin sees and lists any customer’s orders', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const a = await newCustomer(t);
    const admin = await adminClient(t);
    const order = await placeOrder(a.client, sku);
    expect((await admin.client.ok(OrderDocument, { id: order.id })).order?.id).toBe(order.id);
    const listed = await admin.client.ok(OrdersDocument, { filter: { customerId: a.id } });
    expect(listed.orders.edges.map((e) => e.node.id)).toEqual([order.id]);
  });
});

describe('orders (listing)', () => {
  it('pages newest first with cursors, and counts the whole filter', async () => {
    const sku = await addProduct(t, { stock: 20 });
    const customer = await newCustomer(t);
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) placed.push((await placeOrder(customer.client, sku)).id);

    const seen: string[] = [];
    let after: string | null | undefined;
    for (let page = 0; page < 3; page++) {
      const { orders } = await customer.client.ok(OrdersDocument, { first: 2, after });
      expect(orders.totalCount).toBe(5);
      seen.push(...orders.edges.map((e) => e.node.id));
      after = orders.pageInfo.endCursor;
      expect(orders.pageInfo.hasNextPage).toBe(page < 2);
    }
    expect(seen).toEqual([...placed].reverse());
  });

  it('filters by status and creation time', async () => {
    const sku = await addProduct(t, { stock: 20 });
    const customer = await newCustomer(t);
    const first = await placeOrder(customer.client, sku);
    const second = await placeOrder(customer.client, sku);
    await customer.client.ok(CancelOrderDocument, { input: { orderId: first.id } });

    const cancelled = await customer.client.ok(OrdersDocument, { filter: { status: 'CANCELLED' } });
    expect(cancelled.orders.edges.map((e) => e.node.id)).toEqual([first.id]);
    const later = await customer.client.ok(OrdersDocument, { filter: { createdAfter: first.createdAt } });
    expect(later.orders.edges.map((e) => e.node.id)).toEqual([second.id]);
    const earlier = await customer.client.ok(OrdersDocument, { filter: { createdBefore: second.createdAt } });
    expect(earlier.orders.edges.map((e) => e.node.id)).toEqual([first.id]);
  });

  it.each([
    ['first: 0', { first: 0 }],
    ['first: 101', { first: 101 }],
    ['a forged cursor', { after: 'bm90LWEtY3Vyc29y' }],
  ])('refuses %s with BAD_USER_INPUT', async (_name, variables) => {
    const customer = await newCustomer(t);
    expect(codes(await customer.client.request(OrdersDocument, variables))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('moving orders', () => {
  it('goes PENDING -> PAID -> SHIPPED -> DELIVERED by an admin, with history oldest first', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const customer = await newCustomer(t);
    const admin = await adminClient(t);
    const order = await placeOrder(customer.client, sku);
    let version = order.version;
    for (const status of ['PAID', 'SHIPPED', 'DELIVERED'] as const) {
      const { updateOrderStatus } = await admin.client.ok(UpdateOrderStatusDocument, {
        input: { orderId: order.id, status, expectedVersion: version, reason: `to ${status}` },
      });
      expect(updateOrderStatus.status).toBe(status);
      expect(updateOrderStatus.version).toBe(version + 1);
      version = updateOrderStatus.version;
    }
    // History is written by the audit consumer from the events, a moment after each commit. SHIPPED ships
    // everything in one shipment and DELIVERED delivers it (SPEC section 10): each move is one change, told by
    // the shipment's event and the status move.
    const read = await waitFor('six history entries', async () => {
      const { order: current } = await customer.client.ok(OrderDocument, { id: order.id });
      return current?.history.length === 6 ? current : undefined;
    });
    expect(read?.history.map((h) => [h.type, h.fromStatus, h.toStatus, h.actor])).toEqual([
      ['order.created', null, 'PENDING', customer.id],
      ['order.status_changed', 'PENDING', 'PAID', admin.id],
      ['order.shipment_created', 'PAID', 'SHIPPED', admin.id],
      ['order.status_changed', 'PAID', 'SHIPPED', admin.id],
      ['order.shipment_delivered', 'SHIPPED', 'DELIVERED', admin.id],
      ['order.status_changed', 'SHIPPED', 'DELIVERED', admin.id],
    ]);
    expect(read?.history[1]?.reason).toBe('to PAID');
    expect(read?.history[3]?.reason).toBe('to SHIPPED');
    expect(read?.shipments).toHaveLength(1);
    expect(read?.shipments[0]).toMatchObject({ status: 'DELIVERED', lines: [{ sku, quantity: 1 }] });
    expect(read?.items[0]).toMatchObject({ status: 'DELIVERED', quantityShipped: 1, quantityDelivered: 1 });
  });

  it('refuses a move the machine does not allow, and writes nothing', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const customer = await newCustomer(t);
    const admin = await adminClient(t);
    const order = await placeOrder(customer.client, sku);
    const before = await writes();
    const ship = await admin.client.request(UpdateOrderStatusDocument, {
      input: { orderId: order.id, status: 'SHIPPED' },
    });
    expect(codes(ship)).toEqual(['INVALID_STATUS_TRANSITION']);
    // A customer may not mark their own order paid.
    const pay = await customer.client.request(UpdateOrderStatusDocument, {
      input: { orderId: order.id, status: 'PAID' },
    });
    expect(codes(pay)).toEqual(['INVALID_STATUS_TRANSITION']);
    expect(await writes()).toEqual(before);
    expect((await customer.client.ok(OrderDocument, { id: order.id })).order?.version).toBe(1);
  });

  it('lets a customer cancel their pending order, returning the stock; not once it is paid', async () => {
    const sku = await addProduct(t, { stock: 5 });
    const customer = await newCustomer(t);
    const admin = await adminClient(t);
    const pending = await placeOrder(customer.client, sku, 2);
    expect(await stockOf(t, sku)).toBe(3);
    const { cancelOrder } = await customer.client.ok(CancelOrderDocument, {
      input: { orderId: pending.id, reason: 'changed my mind' },
    });
    expect(cancelOrder.status).toBe('CANCELLED');
    expect(await stockOf(t, sku)).toBe(5);
    expect(codes(await customer.client.request(CancelOrderDocument, { input: { orderId: pending.id } }))).toEqual([
      'INVALID_STATUS_TRANSITION',
    ]);
    expect(await stockOf(t, sku)).toBe(5); // never returned twice

    const paid = await placeOrder(customer.client, sku, 1);
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: paid.id, status: 'PAID' } });
    expect(codes(await customer.client.request(CancelOrderDocument, { input: { orderId: paid.id } }))).toEqual([
      'INVALID_STATUS_TRANSITION',
    ]);
    // An admin may still cancel a paid order, and the stock comes back.
    await admin.client.ok(CancelOrderDocument, { input: { orderId: paid.id, reason: 'refunded' } });
    expect(await stockOf(t, sku)).toBe(5);
  });

  it.each([
    ['a malformed id', { orderId: 'not-a-uuid', status: 'PAID' as const }],
    [
      'expectedVersion 0',
      { orderId: '00000000-0000-4000-8000-000000000000', status: 'PAID' as const, expectedVersion: 0 },
    ],
    [
      'a 501-character reason',
      { orderId: '00000000-0000-4000-8000-000000000000', status: 'PAID' as const, reason: 'r'.repeat(501) },
    ],
  ])('refuses %s with BAD_USER_INPUT', async (_name, input) => {
    const admin = await adminClient(t);
    expect(codes(await admin.client.request(UpdateOrderStatusDocument, { input }))).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses an unknown status value at validation', async () => {
    const admin = await adminClient(t);
    const result = await admin.client.request(
      'mutation { updateOrderStatus(input: {orderId: "00000000-0000-4000-8000-000000000000", status: LOST}) { id } }',
    );
    expect(codes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});
