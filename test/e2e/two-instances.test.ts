// Two API instances of one deployment (one database, one Redis prefix) and
// a process that only changes orders, as a consumer does: subscribers,
// caches and limits all see one system. Needs real Redis (TEST_REDIS_URL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startCore } from '../../src/bootstrap/core.js';
import { publishLiveChanges } from '../../src/live/live-orders.js';
import { createLogger } from '../../src/logger.js';
import { OrderStatus } from '../../src/orders/status-machine.js';
import {
  CreateOrderDocument,
  LoginDocument,
  OrderDocument,
  OrderStatusChangedDocument,
  RegisterDocument,
  UpdateOrderStatusDocument,
} from '../generated/graphql.js';
import { codes } from '../support/client.js';
import { addProduct, adminClient, newCustomer, startTestApp, uniqueEmail, type TestApp } from '../support/harness.js';
import { liveClient, subscribe, waitFor, type LiveClient } from '../support/live.js';
import { testServices } from '../support/services.js';

describe.runIf(testServices.redisUrl)('two instances over one Redis', () => {
  let a: TestApp;
  let b: TestApp;
  let sku: string;
  const open: LiveClient[] = [];
  beforeAll(async () => {
    // A cache read slower than the command timeout counts as a miss (and loads): on a loaded machine
    // 200 ms is not enough to tell single-flight from a slow Redis.
    a = await startTestApp({ RATE_LIMIT_LOGIN: '4/1m', REDIS_COMMAND_TIMEOUT_MS: '5000' });
    b = await startTestApp({}, { shareWith: a });
    sku = await addProduct(a, { stock: 1000 });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.dispose()));
    await b?.stop();
    await a?.stop();
  });

  async function orderOf(customer: Awaited<ReturnType<typeof newCustomer>>) {
    const { createOrder } = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 1 }], shippingAddress: '2 Twin Street' },
    });
    return createOrder.id;
  }

  it('a subscriber on B gets a change made through A, once', async () => {
    const customer = await newCustomer(a);
    const admin = await adminClient(a);
    const orderId = await orderOf(customer);
    const live = liveClient(b.app.url, `Bearer ${customer.token}`);
    open.push(live);
    const sub = subscribe(live, OrderStatusChangedDocument, { orderId });
    await waitFor('the subscription on B', () => b.app.services.live.size > 0);

    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId, status: 'PAID' } });
    await waitFor('the event on B', () => sub.events.length > 0, 10_000);
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId, status: 'SHIPPED' } });
    await waitFor('the second event on B', () => sub.events.length > 1, 10_000);
    expect(sub.events.map((e) => e.orderStatusChanged.status)).toEqual(['PAID', 'SHIPPED']);
  });

  it('a subscriber on B gets a change made by a consumers process, built as consumers/main.ts builds it', async () => {
    const customer = await newCustomer(a);
    const orderId = await orderOf(customer);
    const live = liveClient(b.app.url, `Bearer ${customer.token}`);
    open.push(live);
    const sub = subscribe(live, OrderStatusChangedDocument, {});
    await waitFor('the subscription on B', () => b.app.services.live.size > 0);

    // What a consumers process builds: its own core, publishing after commit.
    const logger = createLogger('silent');
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: a.db.url, ...a.env });
    const core = await startCore(config, logger, 'consumers');
    try {
      const { services } = core;
      publishLiveChanges({
        committed: services.committed,
        shared: core.shared,
        orderCache: services.orderCache,
        logger,
      });
      await services.moves.transition({ kind: 'system', name: 'payments' }, orderId, OrderStatus.PAID, {
        reason: null,
        expectedVersion: undefined,
        meta: { correlationId: null },
      });
      await waitFor('the consumer’s change on B', () => sub.events.length > 0, 10_000);
      expect(sub.events[0]!.orderStatusChanged).toMatchObject({ status: 'PAID', actor: 'system:payments' });
    } finally {
      await core.stop();
    }
  });

  it('A’s cached order is invalidated by a change made through B', async () => {
    const customer = await newCustomer(a);
    const admin = await adminClient(b);
    const orderId = await orderOf(customer);
    const first = await customer.client.ok(OrderDocument, { id: orderId });
    expect(first.order?.status).toBe('PENDING');
    const loads = a.app.services.orderCache.loads;
    // Cached now: reading again through A does not go to the database.
    await customer.client.ok(OrderDocument, { id: orderId });
    expect(a.app.services.orderCache.loads).toBe(loads);

    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId, status: 'PAID' } });
    const after = await customer.client.ok(OrderDocument, { id: orderId });
    expect(after.order).toMatchObject({ status: 'PAID', version: 2 });
  });

  it('a cached order is still authorized per caller', async () => {
    const owner = await newCustomer(a);
    const stranger = await newCustomer(b);
    const orderId = await orderOf(owner);
    await owner.client.ok(OrderDocument, { id: orderId }); // now cached, shared by both instances
    const result = await stranger.client.request(OrderDocument, { id: orderId });
    expect(codes(result)).toEqual(['NOT_FOUND']);
    expect(result.data?.order ?? null).toBeNull();
  });

  it('a rate limit holds across the two instances', async () => {
    const email = uniqueEmail();
    await a.client.ok(RegisterDocument, { input: { email, password: 'password-123' } });
    const login = (t: TestApp) => t.client.request(LoginDocument, { input: { email, password: 'password-123' } });
    for (const t of [a, b, a, b]) expect(codes(await login(t))).toEqual([]);
    expect(codes(await login(a))).toEqual(['RATE_LIMITED']);
    expect(codes(await login(b))).toEqual(['RATE_LIMITED']);
  });

  it('concurrent misses on one order load the database once per instance', async () => {
    const customer = await newCustomer(a);
    const orderId = await orderOf(customer);
    const before = [a.app.services.orderCache.loads, b.app.services.orderCache.loads];
    const reads = [a, b].flatMap((t) =>
      Array.from({ length: 10 }, () => t.client.as(customer.token).ok(OrderDocument, { id: orderId })),
    );
    const results = await Promise.all(reads);
    expect(new Set(results.map((r) => r.order?.id))).toEqual(new Set([orderId]));
    expect(a.app.services.orderCache.loads - before[0]!).toBeLessThanOrEqual(1);
    expect(b.app.services.orderCache.loads - before[1]!).toBeLessThanOrEqual(1);
  });
});
