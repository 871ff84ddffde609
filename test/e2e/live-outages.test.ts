// Live tracking through the faults that used to lose changes without a word
// (needs real Redis): a reconnect to another instance or to a restarted one,
// a change whose committing process died before it could signal, the Redis
// subscriber connection killed again and again, and Redis cut for 10 s under
// load. Every subscriber's record ends equal to the database.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/auth/index.js';
import { startCore } from '../../src/bootstrap/core.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { OrderStatus } from '../../src/orders/index.js';
import { RegisterDocument } from '../generated/graphql.js';
import { addProduct, adminClient, startTestApp, uniqueEmail, type TestApp } from '../support/harness.js';
import { startTcpProxy, waitFor, type TcpProxy } from '../support/live.js';
import { createTestRedis } from '../support/redis.js';
import { testServices } from '../support/services.js';
import { changesInDatabase, recorded, trackChanges, versionsByOrder, type Tracker } from '../support/tracker.js';

const meta = { correlationId: 'live-outages-test' };
const ADMIN_ACTOR = { kind: 'user' as const, userId: '00000000-0000-4000-8000-000000000000', role: Role.ADMIN };

async function customerOf(t: TestApp) {
  const { register } = await t.client.ok(RegisterDocument, {
    input: { email: uniqueEmail(), password: 'password-123' },
  });
  return {
    id: register.user.id,
    token: register.accessToken,
    viewer: { userId: register.user.id, role: Role.CUSTOMER, expiresAt: Date.now() + 3_600_000 },
  };
}

async function placeOrders(t: TestApp, sku: string, customer: Awaited<ReturnType<typeof customerOf>>, n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const order = await t.app.services.placement.placeOrder(
      customer.viewer,
      { items: [{ sku, quantity: 1 }], shippingAddress: `${i} Outage Avenue` },
      meta,
    );
    ids.push(order.id);
  }
  return ids;
}

function move(t: TestApp, orderId: string, status: OrderStatus) {
  return t.app.services.moves.transition(ADMIN_ACTOR, orderId, status, {
    reason: null,
    expectedVersion: undefined,
    meta,
  });
}

async function expectEqualToDatabase(t: TestApp, tracker: Tracker, orderIds: string[], timeoutMs = 30_000) {
  const expected = await changesInDatabase(t, orderIds);
  await waitFor(`${expected.length} changes`, () => recorded(tracker, orderIds).length >= expected.length, timeoutMs);
  expect(recorded(tracker, orderIds)).toEqual(expected);
  for (const [orderId, versions] of versionsByOrder(tracker)) {
    if (orderIds.includes(orderId)) expect(versions).toEqual(versions.map((_, i) => versions[0]! + i));
  }
}

describe.runIf(testServices.redisUrl)('live tracking through faults', () => {
  let a: TestApp;
  let b: TestApp;
  let sku: string;
  const trackers: Tracker[] = [];
  beforeAll(async () => {
    a = await startTestApp({ LIVE_POLL_INTERVAL: '300ms' });
    b = await startTestApp({}, { shareWith: a });
    sku = await addProduct(a, { stock: 1_000_000 });
  });
  afterAll(async () => {
    await Promise.all(trackers.map((tracker) => tracker.dispose()));
    await b?.stop();
    await a?.stop();
  });

  it('resumes on another instance with every change, once', async () => {
    const customer = await customerOf(a);
    const tracker = trackChanges(a.app.url, () => customer.token);
    trackers.push(tracker);
    await waitFor('the subscription on A', () => a.app.services.live.size >= 1);
    const orders = await placeOrders(a, sku, customer, 4);
    for (const id of orders) await move(a, id, OrderStatus.PAID);
    await waitFor('the PAID changes', () => tracker.record.length >= 4);
    tracker.moveTo(b.app.url);
    tracker.drop();
    for (const id of orders) await move(b, id, OrderStatus.SHIPPED);
    await expectEqualToDatabase(a, tracker, orders);
  });

  it('resumes on an instance started after the one it was on stopped (a restart)', async () => {
    const c = await startTestApp({}, { shareWith: a });
    const customer = await customerOf(a);
    const tracker = trackChanges(c.app.url, () => customer.token);
    trackers.push(tracker);
    let d: TestApp | undefined;
    try {
      await waitFor('the subscription on C', () => c.app.services.live.size >= 1);
      const orders = await placeOrders(a, sku, customer, 3);
      for (const id of orders) await move(a, id, OrderStatus.PAID);
      await waitFor('the PAID changes', () => tracker.record.length >= 3);
      await c.stop();
      for (const id of orders) await move(a, id, OrderStatus.CANCELLED);
      d = await startTestApp({}, { shareWith: a });
      tracker.moveTo(d.app.url);
      await expectEqualToDatabase(a, tracker, orders);
      expect(tracker.closes).toContain(1001); // going away, from the stopping instance
    } finally {
      await tracker.dispose();
      await d?.stop();
    }
  });

  it('delivers a change whose process died after its commit, before it could signal', async () => {
    const customer = await customerOf(a);
    const tracker = trackChanges(a.app.url, () => customer.token);
    trackers.push(tracker);
    await waitFor('the subscription on A', () => a.app.services.live.size >= 1);
    const orders = await placeOrders(a, sku, customer, 2);
    // A process that commits and never signals: as if killed between its commit and its publish.
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: a.db.url, ...a.env });
    const mute = await startCore(config, createLogger('silent'), 'consumers');
    try {
      for (const id of orders) {
        await mute.services.moves.transition({ kind: 'system', name: 'payments' }, id, OrderStatus.PAID, {
          reason: null,
          expectedVersion: undefined,
          meta,
        });
      }
    } finally {
      await mute.stop();
    }
    await expectEqualToDatabase(a, tracker, orders, 5_000);
  });
});

describe.runIf(testServices.redisUrl)('the Redis subscriber connection', () => {
  let listener: TestApp; // serves the subscriber; hears other processes only through Redis
  let writer: TestApp; // makes the changes
  let redis: Redis;
  let sku: string;
  beforeAll(async () => {
    // A poll so slow that a prompt delivery proves the Redis signal path works.
    listener = await startTestApp({ LIVE_POLL_INTERVAL: '60s' });
    redis = new Redis(testServices.redisUrl!);
    const listenerIds = await subscriberIds();
    writer = await startTestApp({}, { shareWith: listener });
    // Both instances name their connections after the deployment: the writer's is the one that came after.
    writerSubscriber = (await subscriberIds()).filter((id) => !listenerIds.includes(id));
    sku = await addProduct(listener, { stock: 1_000_000 });
  });
  afterAll(async () => {
    redis?.disconnect();
    await writer?.stop();
    await listener?.stop();
  });

  let writerSubscriber: string[] = [];
  async function subscriberIds(): Promise<string[]> {
    const name = `order-service:subscriber:${listener.redis!.keyPrefix}`;
    const list = String(await redis.client('LIST'));
    return list
      .split('\n')
      .filter((line: string) => line.includes(` name=${name} `))
      .map((line: string) => /\bid=(\d+)/.exec(line)?.[1] ?? '');
  }
  const killListenerSubscriber = async (): Promise<boolean> => {
    const id = (await subscriberIds()).find((candidate) => !writerSubscriber.includes(candidate));
    if (!id) return false;
    await redis.client('KILL', 'ID', id);
    return true;
  };
  const metric = async (name: string) => {
    const text = await (await fetch(new URL('/metrics', listener.app.url))).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 'NaN');
  };

  it('is killed from the Redis side 10 times while changes flow, and every change still arrives promptly', async () => {
    const customer = await customerOf(listener);
    const tracker = trackChanges(listener.app.url, () => customer.token);
    try {
      await waitFor('the subscription', () => listener.app.services.live.size >= 1);
      const orders = await placeOrders(writer, sku, customer, 10);
      const resubscribesBefore = await metric('live_signal_resubscribes_total');
      for (const [i, id] of orders.entries()) {
        expect(await killListenerSubscriber()).toBe(true);
        await move(writer, id, OrderStatus.PAID);
        // Subscribed again (within the retry delay), the next signal brings this change and any missed one.
        await waitFor(`change ${i + 1} on the listener`, () => tracker.record.length >= i + 1, 5_000);
        await waitFor('the subscription back', async () => listener.app.services.live.size >= 1);
      }
      await expectEqualToDatabase(listener, tracker, orders, 5_000);
      expect((await metric('live_signal_resubscribes_total')) - resubscribesBefore).toBeGreaterThanOrEqual(10);
      expect(await metric('live_signal_reconnects_total')).toBeGreaterThanOrEqual(10);
    } finally {
      await tracker.dispose();
    }
  });
});

describe.runIf(testServices.redisUrl)('Redis cut for 10 s under load', () => {
  let proxy: TcpProxy;
  let cut: TestApp; // reaches Redis through a proxy the test cuts
  let direct: TestApp; // a second instance of the same deployment, on Redis directly
  let dropPrefix: (() => Promise<void>) | undefined;
  let sku: string;
  beforeAll(async () => {
    const url = new URL(testServices.redisUrl!);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    const redis = createTestRedis()!;
    dropPrefix = () => redis.drop();
    cut = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_KEY_PREFIX: redis.keyPrefix });
    direct = await startTestApp(
      { REDIS_URL: testServices.redisUrl!, REDIS_KEY_PREFIX: redis.keyPrefix },
      { shareWith: cut },
    );
    sku = await addProduct(cut, { stock: 1_000_000 });
  });
  afterAll(async () => {
    await direct?.stop();
    await cut?.stop();
    await proxy?.close();
    await dropPrefix?.();
  });

  it('every subscriber, on either instance, ends with exactly the database’s changes; /readyz says degraded meanwhile', async () => {
    const customers = await Promise.all([customerOf(cut), customerOf(cut), customerOf(cut)]);
    const admin = await adminClient(cut);
    const trackers = [
      ...customers.map((c, i) => trackChanges((i % 2 ? direct : cut).app.url, () => c.token)),
      trackChanges(cut.app.url, async () => admin.token),
      trackChanges(direct.app.url, async () => admin.token),
    ];
    try {
      await waitFor('the subscriptions', () => cut.app.services.live.size + direct.app.services.live.size >= 5);
      const orders = (await Promise.all(customers.map((c) => placeOrders(cut, sku, c, 6)))).flat();
      let running = true;
      const statuses = [OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED];
      const load = (async () => {
        for (const status of statuses) {
          for (const [i, id] of orders.entries()) {
            await move(i % 2 ? direct : cut, id, status);
            await new Promise((resolve) => setTimeout(resolve, 60));
          }
        }
        running = false;
      })();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await proxy.cut();
      await waitFor(
        '/readyz to say degraded',
        async () => {
          const body = (await (await fetch(new URL('/readyz', cut.app.url))).json()) as { degraded?: string[] };
          return body.degraded?.includes('live-updates');
        },
        5_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      await proxy.restore();
      await load;
      expect(running).toBe(false);
      for (const tracker of trackers.slice(0, 3)) {
        const own = orders.filter((_, i) => Math.floor(i / 6) === trackers.indexOf(tracker));
        await expectEqualToDatabase(cut, tracker, own);
      }
      for (const tracker of trackers.slice(3)) await expectEqualToDatabase(cut, tracker, orders);
      await waitFor('/readyz ready again', async () => {
        const body = (await (await fetch(new URL('/readyz', cut.app.url))).json()) as { status: string };
        return body.status === 'ready';
      });
    } finally {
      await Promise.all(trackers.map((tracker) => tracker.dispose()));
    }
  });
});
