// Redis taken away mid-test (a TCP proxy the test owns is cut; Redis itself
// keeps running): queries answer from the database within a bounded time,
// /readyz says degraded, and live updates and the cache heal when it returns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateOrderDocument,
  OrderDocument,
  OrderStatusChangedDocument,
  UpdateOrderStatusDocument,
} from '../generated/graphql.js';
import { addProduct, adminClient, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { liveClient, startTcpProxy, subscribe, waitFor, type LiveClient, type TcpProxy } from '../support/live.js';
import { createTestRedis } from '../support/redis.js';
import { testServices } from '../support/services.js';

describe.runIf(testServices.redisUrl)('Redis outage', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let live: LiveClient | undefined;
  let dropPrefix: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const redisUrl = new URL(testServices.redisUrl!);
    proxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    const redis = createTestRedis()!;
    dropPrefix = () => redis.drop();
    t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_KEY_PREFIX: redis.keyPrefix });
  });
  afterAll(async () => {
    await live?.dispose();
    await t?.stop();
    await proxy?.close();
    await dropPrefix?.();
  });

  const readiness = async () => {
    const response = await fetch(new URL('/readyz', t.app.url));
    return {
      status: response.status,
      body: (await response.json()) as { status: string; checks?: Record<string, string>; degraded?: string[] },
    };
  };

  it('serves from the database while Redis is gone, says so on /readyz, and heals when it returns', async () => {
    const sku = await addProduct(t, { stock: 10 });
    const customer = await newCustomer(t);
    const admin = await adminClient(t);
    const { createOrder } = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 1 }], shippingAddress: '3 Outage Road' },
    });
    const orderId = createOrder.id;
    await customer.client.ok(OrderDocument, { id: orderId }); // cached as PENDING
    expect(await readiness()).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { database: 'up', redis: 'up' } },
    });
    live = liveClient(t.app.url, `Bearer ${customer.token}`);
    const sub = subscribe(live, OrderStatusChangedDocument, { orderId });
    await waitFor('the subscription', () => t.app.services.live.size > 0);

    await proxy.cut();

    const started = Date.now();
    const during = await customer.client.ok(OrderDocument, { id: orderId });
    expect(during.order?.status).toBe('PENDING');
    expect(Date.now() - started).toBeLessThan(1_500);
    await waitFor('/readyz to say degraded', async () => {
      const { body } = await readiness();
      return body.status === 'degraded' && body.degraded?.includes('redis') === true;
    });
    expect((await readiness()).status).toBe(200);

    // A change while Redis is away: committed, read back from the database, its cache delete kept for later.
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId, status: 'PAID' } });
    expect((await customer.client.ok(OrderDocument, { id: orderId })).order?.status).toBe('PAID');

    await proxy.restore();
    await waitFor('/readyz to say up', async () => (await readiness()).body.checks?.redis === 'up', 10_000);
    // The entry cached before the outage (PENDING) was deleted on reconnect, not served stale.
    await waitFor('the pending invalidation', () => t.app.services.orderCache.pendingInvalidationCount === 0);
    expect((await customer.client.ok(OrderDocument, { id: orderId })).order?.status).toBe('PAID');

    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId, status: 'SHIPPED' } });
    await waitFor('the subscription to get SHIPPED after the outage', () =>
      sub.events.some((e) => e.orderStatusChanged.status === 'SHIPPED'),
    );
  });
});
