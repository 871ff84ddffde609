// A subscription that starts while PostgreSQL is away (needs a real
// PostgreSQL behind a proxy the test cuts): what it needs of the database
// before it can run (the resume cursor checked, the order looked up) fails
// for a moment, which is no fault of the subscriber. It must be told to come
// back (1013, resume from its cursor), not sent an error, which ends a stock
// graphql-ws subscription for good: the fault suite's ADMIN subscriber
// missed every change after a 5 s PostgreSQL cut that way. Likewise a socket
// whose token cannot be checked at connection_init.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/auth/index.js';
import { SocketCloseCode } from '../../src/live/close-codes.js';
import { OrderStatus } from '../../src/orders/index.js';
import { OrderStatusChangedDocument } from '../generated/graphql.js';
import { addProduct, adminClient, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { liveClient, subscribe, waitFor, type LiveClient } from '../support/live.js';
import { testServices } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const meta = { correlationId: 'live-database-outage-test' };
const ADMIN_ACTOR = { kind: 'user' as const, userId: '00000000-0000-4000-8000-000000000000', role: Role.ADMIN };

describe.runIf(testServices.databaseUrl)('a subscription started while PostgreSQL is away', () => {
  let t: TestApp;
  let proxy: TcpProxy | undefined;
  const sockets: LiveClient[] = [];
  let cursor: string;
  let orderId: string;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp(
      {},
      {
        databaseUrl: async (url) => {
          proxy = await startTcpProxy(url);
          return proxy.url;
        },
      },
    );
    const sku = await addProduct(t, { stock: 100 });
    const customer = await newCustomer(t);
    const viewer = { userId: customer.id, role: Role.CUSTOMER, expiresAt: Date.now() + 3_600_000 };
    orderId = (
      await t.app.services.placement.placeOrder(
        viewer,
        { items: [{ sku, quantity: 1 }], shippingAddress: '1 Cut Road' },
        meta,
      )
    ).id;
    token = (await adminClient(t)).token;
    const first = liveClient(t.app.url, `Bearer ${token}`);
    sockets.push(first);
    const sub = subscribe(first, OrderStatusChangedDocument, { orderId });
    await waitFor('the subscription', () => first.acknowledged);
    await t.app.services.moves.transition(ADMIN_ACTOR, orderId, OrderStatus.CANCELLED, {
      reason: null,
      expectedVersion: undefined,
      meta,
    });
    const [change] = await waitFor('the change', () => sub.events.length > 0 && sub.events);
    cursor = change!.orderStatusChanged.cursor;
  });

  afterAll(async () => {
    proxy?.restore();
    await Promise.all(sockets.map((s) => s.dispose()));
    await t?.stop();
    await proxy?.close();
  });

  it('connecting with a token whose account this instance has not checked yet: 1013 (try again), not 4500, which a stock client never retries', async () => {
    // A new account: its existence is not cached, so connection_init must ask the database.
    const fresh = await newCustomer(t);
    proxy!.cut();
    try {
      const live = liveClient(t.app.url, `Bearer ${fresh.token}`);
      sockets.push(live);
      await waitFor('the socket to close', () => live.closed, 15_000);
      expect(live.acknowledged).toBe(false);
      expect(live.closed?.code).toBe(SocketCloseCode.TryAgainLater);
    } finally {
      proxy!.restore();
    }
  });

  it.each([
    ['every order the caller may see', () => ({ after: cursor })],
    ['one order', () => ({ orderId, after: cursor })],
  ])(
    'resuming %s: closes the socket with 1013 (resume later), never an error that ends it',
    async (_what, variables) => {
      const live = liveClient(t.app.url, `Bearer ${token}`);
      sockets.push(live);
      // Authenticated first: the socket is up when the database goes.
      await waitFor('the socket', () => live.acknowledged);
      proxy!.cut();
      try {
        const sub = subscribe(live, OrderStatusChangedDocument, variables());
        await waitFor(
          'the socket to close, or an error',
          () => live.closed ?? (sub.errors.length > 0 || sub.completed),
          15_000,
        );
        expect(sub.errors).toEqual([]);
        expect(live.closed?.code).toBe(SocketCloseCode.TryAgainLater);
      } finally {
        proxy!.restore();
      }
    },
  );
});
