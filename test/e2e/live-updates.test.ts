// orderStatusChanged over graphql-ws: order of events, who may receive them,
// and what a socket without a good token gets (nothing: it is closed).
import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocketCloseCode } from '../../src/live/close-codes.js';
import {
  CreateOrderDocument,
  OrderStatusChangedDocument,
  UpdateOrderStatusDocument,
  type OrderStatusChangedSubscription,
} from '../generated/graphql.js';
import { addProduct, adminClient, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { executeOverSocket, liveClient, subscribe, waitFor, type LiveClient } from '../support/live.js';

let t: TestApp;
let sku: string;
const open: LiveClient[] = [];
beforeAll(async () => {
  t = await startTestApp();
  sku = await addProduct(t, { stock: 1000 });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.dispose()));
  await t?.stop();
});

function connect(authorization: string | undefined): LiveClient {
  const live = liveClient(t.app.url, authorization);
  open.push(live);
  return live;
}

async function placeOrder(customer: Awaited<ReturnType<typeof newCustomer>>) {
  const { createOrder } = await customer.client.ok(CreateOrderDocument, {
    input: { items: [{ sku, quantity: 1 }], shippingAddress: '1 Live Lane' },
  });
  return createOrder.id;
}

const SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
function token(claims: { sub: string; role?: string; exp: number }): string {
  return jwt.sign({ role: claims.role ?? 'CUSTOMER', exp: claims.exp }, SECRET, {
    algorithm: 'HS256',
    subject: claims.sub,
    issuer: 'order-service',
    audience: 'order-service-clients',
  });
}

describe('orderStatusChanged', () => {
  it('a subscriber sees PENDING -> PAID -> SHIPPED in order, once each (latency is for the benchmark)', async () => {
    const customer = await newCustomer(t);
    const admin = await adminClient(t);
    const orderId = await placeOrder(customer);
    const live = connect(`Bearer ${customer.token}`);
    const sub = subscribe(live, OrderStatusChangedDocument, { orderId });
    await waitFor('the subscription to be registered', () => t.app.services.live.size > 0);

    for (const status of ['PAID', 'SHIPPED'] as const) {
      await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId, status } });
      await waitFor(
        `the ${status} event`,
        () => sub.events.some((e) => e.orderStatusChanged.status === status),
        10_000,
      );
    }
    expect(sub.events.map((e) => [e.orderStatusChanged.previousStatus, e.orderStatusChanged.status])).toEqual([
      ['PENDING', 'PAID'],
      ['PAID', 'SHIPPED'],
    ]);
    const last = sub.events.at(-1)!.orderStatusChanged;
    expect(last.order).toMatchObject({ id: orderId, status: 'SHIPPED', version: 3, customer: { id: customer.id } });
    expect(sub.errors).toEqual([]);
    sub.stop();
  });

  it('customer B never receives customer A’s events, with or without an order id', async () => {
    const [a, b] = [await newCustomer(t), await newCustomer(t)];
    const admin = await adminClient(t);
    const aOrder = await placeOrder(a);
    const bOrder = await placeOrder(b);
    const before = t.app.services.live.size;
    const bLive = connect(b.token); // a bare token works as well as "Bearer …"
    const bAll = subscribe(bLive, OrderStatusChangedDocument, {});
    const bOnA = subscribe(bLive, OrderStatusChangedDocument, { orderId: aOrder });
    const aAll = subscribe(connect(`Bearer ${a.token}`), OrderStatusChangedDocument, {});
    const adminAll = subscribe(connect(`Bearer ${await adminClientToken()}`), OrderStatusChangedDocument, {});
    await waitFor('three subscriptions', () => t.app.services.live.size >= before + 3);
    // B may not see A's order: that subscription ends at once with NOT_FOUND, as order(id) would answer.
    await waitFor('B’s subscription to A’s order to end', () => bOnA.completed);
    expect(bOnA.errors.map((e) => [e.extensions?.code, e.message])).toEqual([['NOT_FOUND', 'Order not found']]);

    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: aOrder, status: 'PAID' } });
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: bOrder, status: 'PAID' } });

    const orderIds = (events: OrderStatusChangedSubscription[]) => events.map((e) => e.orderStatusChanged.order.id);
    await waitFor('A’s own event', () => aAll.events.length >= 1);
    await waitFor('B’s own event', () => bAll.events.length >= 1);
    await waitFor('the admin to see both', () => adminAll.events.length >= 2);
    // B's own change was delivered after A's, so A's would have arrived by now had it leaked.
    expect(orderIds(bAll.events)).toEqual([bOrder]);
    expect(orderIds(aAll.events)).toEqual([aOrder]);
    expect(bOnA.events).toEqual([]);
    expect(orderIds(adminAll.events)).toEqual([aOrder, bOrder]);
  });

  it('a subscription to an order that does not exist ends at once with NOT_FOUND, as order(id) answers', async () => {
    const customer = await newCustomer(t);
    const socket = connect(`Bearer ${customer.token}`);
    const missing = subscribe(socket, OrderStatusChangedDocument, { orderId: randomUUID() });
    const alongside = subscribe(socket, OrderStatusChangedDocument, {});
    await waitFor('the subscription to the missing order to end', () => missing.completed);
    expect(missing.errors.map((e) => [e.extensions?.code, e.message])).toEqual([['NOT_FOUND', 'Order not found']]);
    expect(missing.events).toEqual([]);
    // The socket stays open: the caller's other subscription still gets its changes.
    const orderId = await placeOrder(customer);
    const admin = await adminClient(t);
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId, status: 'PAID' } });
    await waitFor('the other subscription to get its change', () => alongside.events.length >= 1);
    expect(alongside.events.map((e) => e.orderStatusChanged.order.id)).toEqual([orderId]);
  });

  async function adminClientToken(): Promise<string> {
    const admin = await adminClient(t);
    return admin.client.token!;
  }

  it.each([
    ['no token', undefined],
    ['a malformed token', 'Bearer not-a-jwt'],
    [
      'a token signed with another key',
      `Bearer ${jwt.sign({ role: 'ADMIN' }, 'another-secret-another-secret-another-secret', { subject: randomUUID(), expiresIn: 60 })}`,
    ],
    ['an expired token', 'EXPIRED'],
  ])('a socket with %s is closed with 4401 and runs nothing', async (_name, authorization) => {
    const customer = await newCustomer(t);
    const admin = await adminClient(t);
    const orderId = await placeOrder(customer);
    const value =
      authorization === 'EXPIRED'
        ? `Bearer ${token({ sub: customer.id, exp: Math.floor(Date.now() / 1000) - 60 })}`
        : authorization;
    const live = connect(value);
    const sub = subscribe(live, OrderStatusChangedDocument, {});
    await waitFor('the socket to close', () => live.closed);
    expect(live.closed!.code).toBe(SocketCloseCode.Unauthorized);
    expect(live.acknowledged).toBe(false);
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId, status: 'PAID' } });
    expect(sub.events).toEqual([]);
  });

  it('a valid token for an account that does not exist is closed with 4401, as HTTP answers UNAUTHENTICATED', async () => {
    const live = connect(`Bearer ${token({ sub: randomUUID(), exp: Math.floor(Date.now() / 1000) + 60 })}`);
    await waitFor('the socket to close', () => live.closed);
    expect(live.closed!.code).toBe(SocketCloseCode.Unauthorized);
  });

  it('the socket closes with 4419 when its token expires, a code the stock client retries', async () => {
    const customer = await newCustomer(t);
    const live = connect(`Bearer ${token({ sub: customer.id, exp: Math.floor(Date.now() / 1000) + 2 })}`);
    subscribe(live, OrderStatusChangedDocument, {});
    await waitFor('the connection to be acknowledged', () => live.acknowledged);
    await waitFor('the socket to close at expiry', () => live.closed, 4_000);
    expect(live.closed).toMatchObject({ code: SocketCloseCode.AccessTokenExpired, reason: 'Access token has expired' });
  });

  it('queries and mutations run over the socket with the socket’s identity', async () => {
    const customer = await newCustomer(t);
    const other = await newCustomer(t);
    const orderId = await placeOrder(customer);
    const otherOrder = await placeOrder(other);
    const live = connect(`Bearer ${customer.token}`);
    const mine = await executeOverSocket(live, 'query($id: ID!) { order(id: $id) { id status } }', { id: orderId });
    expect(mine.data).toEqual({ order: { id: orderId, status: 'PENDING' } });
    expect(mine.extensions?.cost).toMatchObject({ requestedQueryCost: 1 });
    const theirs = await executeOverSocket(live, 'query($id: ID!) { order(id: $id) { id } }', { id: otherOrder });
    expect(theirs.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    const cancelled = await executeOverSocket(
      live,
      'mutation($id: ID!) { cancelOrder(input: { orderId: $id }) { status } }',
      { id: orderId },
    );
    expect(cancelled.data).toEqual({ cancelOrder: { status: 'CANCELLED' } });
  });
});
