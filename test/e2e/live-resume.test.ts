// Live tracking that resumes (SPEC section 9): a front end built as
// docs/live.md says (test/support/tracker.ts) ends up with exactly the
// changes the database has, after a dropped socket, a long absence, changes
// racing its replay, a slow-subscriber close and token expiry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Role } from '../../src/auth/index.js';
import { OrderStatus } from '../../src/orders/index.js';
import { OrderStatusChangedDocument, RefreshTokenDocument, RegisterDocument } from '../generated/graphql.js';
import { addProduct, startTestApp, uniqueEmail, type TestApp } from '../support/harness.js';
import { liveClient, subscribe, waitFor } from '../support/live.js';
import { changesInDatabase, recorded, trackChanges, versionsByOrder, type Tracker } from '../support/tracker.js';

const meta = { correlationId: 'live-resume-test' };

async function customerOf(t: TestApp) {
  const { register } = await t.client.ok(RegisterDocument, {
    input: { email: uniqueEmail(), password: 'password-123' },
  });
  return {
    id: register.user.id,
    token: register.accessToken,
    refreshToken: register.refreshToken,
    viewer: { userId: register.user.id, role: Role.CUSTOMER, expiresAt: Date.now() + 3_600_000 },
  };
}

async function inBatches<T>(count: number, work: (i: number) => Promise<T>, width = 8): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += width) {
    const batch = Array.from({ length: Math.min(width, count - start) }, (_, j) => work(start + j));
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

function shop(t: TestApp, sku: string) {
  const admin = { kind: 'user' as const, userId: '00000000-0000-4000-8000-000000000000', role: Role.ADMIN };
  return {
    /** Orders placed a few at a time, returned in the order they were asked for. */
    async place(customer: Awaited<ReturnType<typeof customerOf>>, count: number): Promise<string[]> {
      return inBatches(count, async (i) => {
        const order = await t.app.services.placement.placeOrder(
          customer.viewer,
          { items: [{ sku, quantity: 1 }], shippingAddress: `${i} Resume Road` },
          meta,
        );
        return order.id;
      });
    },
    async move(orderIds: readonly string[], status: OrderStatus): Promise<void> {
      await inBatches(orderIds.length, (i) =>
        t.app.services.moves.transition(admin, orderIds[i]!, status, {
          reason: null,
          expectedVersion: undefined,
          meta,
        }),
      );
    },
  };
}

/** The tracker's record equals the database's changes of these orders: no gap, no duplicate, in version order. */
async function expectComplete(t: TestApp, tracker: Tracker, orderIds: string[], count: number) {
  await waitFor(`${count} changes`, () => recorded(tracker, orderIds).length >= count, 30_000);
  const expected = await changesInDatabase(t, orderIds);
  expect(expected).toHaveLength(count);
  expect(recorded(tracker, orderIds)).toEqual(expected);
  for (const [orderId, versions] of versionsByOrder(tracker)) {
    if (!orderIds.includes(orderId)) continue;
    expect(versions, `versions of ${orderId} in arrival order`).toEqual(versions.map((_, i) => versions[0]! + i));
  }
}

// Some tests make 1000 changes through the API: generous bounds for a loaded shared machine.
describe('resuming live tracking', { timeout: 180_000 }, () => {
  let t: TestApp;
  let sku: string;
  const trackers: Tracker[] = [];
  const track = (...args: Parameters<typeof trackChanges>) => {
    const tracker = trackChanges(...args);
    trackers.push(tracker);
    return tracker;
  };
  beforeAll(async () => {
    t = await startTestApp({ LIVE_POLL_INTERVAL: '250ms' });
    sku = await addProduct(t, { stock: 1_000_000 });
  });
  afterAll(async () => {
    await Promise.all(trackers.map((tracker) => tracker.dispose()));
    await t?.stop();
  });

  const subscribed = (count: number) => waitFor('the subscription', () => t.app.services.live.size >= count);

  it('after a dropped socket, delivers every change it missed, once each, in order', async () => {
    const customer = await customerOf(t);
    const { place, move } = shop(t, sku);
    const before = t.app.services.live.size;
    const tracker = track(t.app.url, () => customer.token);
    await subscribed(before + 1);
    const orders = await place(customer, 3);
    await move(orders, OrderStatus.PAID);
    await waitFor('the PAID changes', () => tracker.record.length >= 3);

    tracker.drop();
    await move(orders, OrderStatus.SHIPPED);
    await move(orders, OrderStatus.DELIVERED);
    await expectComplete(t, tracker, orders, 9);
    expect(tracker.closes.length).toBeGreaterThanOrEqual(1);
    expect(tracker.record.map((c) => c.previousStatus !== c.status)).not.toContain(false);
  });

  it('1000 changes made while it was away arrive in order when it resumes', async () => {
    const customer = await customerOf(t);
    const { place, move } = shop(t, sku);
    const first = await place(customer, 1);
    const before = t.app.services.live.size;
    const away = track(t.app.url, () => customer.token);
    await subscribed(before + 1);
    await move(first, OrderStatus.PAID);
    await waitFor('the first change', () => away.record.length === 1);
    const cursor = away.record[0]!.cursor;
    await away.dispose();

    const orders = await place(customer, 500);
    await move(orders, OrderStatus.PAID);
    await move(orders, OrderStatus.CANCELLED);
    const back = track(t.app.url, () => customer.token, { after: cursor });
    await expectComplete(t, back, orders, 1000);
    expect(back.record).toHaveLength(1000);
  });

  it('changes committing while the replay runs are neither lost nor doubled', async () => {
    const customer = await customerOf(t);
    const { place, move } = shop(t, sku);
    const orders = await place(customer, 300);
    const before = t.app.services.live.size;
    const first = track(t.app.url, () => customer.token, { orderId: orders[0] });
    await subscribed(before + 1);
    await move([orders[0]!], OrderStatus.PAID);
    await waitFor('a first cursor', () => first.record.length === 1);
    const cursor = first.record[0]!.cursor;
    await first.dispose();

    await move(orders.slice(1, 200), OrderStatus.PAID);
    const racing = move(orders.slice(200), OrderStatus.PAID); // commits while the resume replays
    const back = track(t.app.url, () => customer.token, { after: cursor });
    await racing;
    await move(orders.slice(1, 50), OrderStatus.CANCELLED);
    await expectComplete(t, back, orders.slice(1), 299 + 49);
  });

  it('resumes one order’s subscription with that order’s changes only', async () => {
    const customer = await customerOf(t);
    const { place, move } = shop(t, sku);
    const [mine, other] = await place(customer, 2);
    const before = t.app.services.live.size;
    const tracker = track(t.app.url, () => customer.token, { orderId: mine });
    await subscribed(before + 1);
    await move([mine!, other!], OrderStatus.PAID);
    await waitFor('the first change', () => tracker.record.length === 1);
    tracker.drop();
    await move([mine!, other!], OrderStatus.SHIPPED);
    await expectComplete(t, tracker, [mine!], 2);
    expect(tracker.record.every((c) => c.orderId === mine)).toBe(true);
  });

  it('refuses a cursor that is not one of the feed’s, and one from beyond this database, with BAD_USER_INPUT', async () => {
    const customer = await customerOf(t);
    const live = liveClient(t.app.url, `Bearer ${customer.token}`);
    try {
      const ordersCursor = Buffer.from(`${new Date().toISOString()}|${crypto.randomUUID()}`).toString('base64url');
      const notOurs = Buffer.from('oc1:99999999999999:1').toString('base64url');
      for (const after of ['garbage', ordersCursor, notOurs]) {
        const sub = subscribe(live, OrderStatusChangedDocument, { after });
        await waitFor(`the answer to ${after}`, () => sub.completed);
        expect(sub.errors.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      }
    } finally {
      await live.dispose();
    }
  });

  it('a subscriber that falls too far behind is closed with 1013, counted, and resumes with nothing lost', async () => {
    const slow = await startTestApp({ LIVE_MAX_BUFFERED_CHANGES: '10' });
    const holder = new pg.Client({ connectionString: slow.db.url });
    let tracker: Tracker | undefined;
    try {
      const slowSku = await addProduct(slow, { stock: 1000 });
      const customer = await customerOf(slow);
      const { place, move } = shop(slow, slowSku);
      const orders = await place(customer, 41);
      tracker = trackChanges(slow.app.url, () => customer.token);
      await waitFor('the subscription', () => slow.app.services.live.size >= 1);
      // A first change gives the subscriber a cursor to resume from.
      await move(orders.slice(0, 1), OrderStatus.PAID);
      await waitFor('the first change', () => tracker?.record.length === 1);
      // A long transaction holds the feed back; when it ends, 40 changes reach the subscriber at once.
      await holder.connect();
      await holder.query('begin');
      await holder.query('select pg_current_xact_id()');
      await move(orders.slice(1), OrderStatus.PAID);
      await holder.query('rollback');
      await expectComplete(slow, tracker, orders, 41);
      expect(tracker.closes).toContain(1013);
      const metrics = await (await fetch(new URL('/metrics', slow.app.url))).text();
      expect(metrics).toMatch(/^live_subscribers_closed_slow_total [1-9]/m);
    } finally {
      await tracker?.dispose();
      await holder.end().catch(() => undefined);
      await slow.stop();
    }
  });

  it('goes on across access-token expiry: the socket closes with 4419, the client refreshes and resumes', async () => {
    const short = await startTestApp({ ACCESS_TOKEN_TTL: '2s' });
    let tracker: Tracker | undefined;
    try {
      const shortSku = await addProduct(short, { stock: 1000 });
      const customer = await customerOf(short);
      const { place, move } = shop(short, shortSku);
      let session = { token: customer.token, refreshToken: customer.refreshToken, expiresAt: Date.now() + 2_000 };
      const freshToken = async () => {
        if (session.expiresAt - Date.now() < 1_000) {
          const { refreshToken } = await short.client.ok(RefreshTokenDocument, { token: session.refreshToken });
          session = {
            token: refreshToken.accessToken,
            refreshToken: refreshToken.refreshToken,
            expiresAt: new Date(refreshToken.expiresAt).getTime(),
          };
        }
        return session.token;
      };
      tracker = trackChanges(short.app.url, freshToken);
      await waitFor('the subscription', () => short.app.services.live.size >= 1);
      const orders = await place(customer, 6);
      for (const order of orders) {
        await move([order], OrderStatus.PAID);
        await new Promise((resolve) => setTimeout(resolve, 800));
      }
      await expectComplete(short, tracker, orders, 6);
      expect(tracker.closes).toContain(4419);
    } finally {
      await tracker?.dispose();
      await short.stop();
    }
  });

  it('refuses a cursor older than what the service keeps with BAD_USER_INPUT', async () => {
    const customer = await customerOf(t);
    const { place, move } = shop(t, sku);
    const before = t.app.services.live.size;
    const tracker = track(t.app.url, () => customer.token);
    await subscribed(before + 1);
    const orders = await place(customer, 1);
    await move(orders, OrderStatus.PAID);
    await waitFor('a change', () => tracker.record.length === 1);
    await move(orders, OrderStatus.SHIPPED);
    // Everything kept so far goes (LIVE_RETENTION reached), so the first cursor lost what came after it.
    await t.app.services.feed.prune(0);
    const live = liveClient(t.app.url, `Bearer ${customer.token}`);
    try {
      const sub = subscribe(live, OrderStatusChangedDocument, { after: tracker.record[0]!.cursor });
      await waitFor('the answer', () => sub.completed);
      expect(sub.errors.map((e) => [e.extensions?.code, e.message])).toEqual([
        [
          'BAD_USER_INPUT',
          'after is older than the changes this service keeps: load the order again and subscribe without it',
        ],
      ]);
    } finally {
      await live.dispose();
    }
  });
});
