// One status change fanned out to many subscribers loads the order once per
// instance, not once per subscriber; each subscriber is still authorized.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CreateOrderDocument, OrderStatusChangedDocument, UpdateOrderStatusDocument } from '../generated/graphql.js';
import { adminClient, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { liveClient, subscribe, type LiveClient } from '../support/live.js';
import { settle, waitFor } from '../support/wait.js';

let t: TestApp;
const sockets: LiveClient[] = [];
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.client.dispose()));
  await t?.stop();
});

it('loads the changed order once for all of its subscribers', async () => {
  const owner = await newCustomer(t);
  const stranger = await newCustomer(t);
  const admin = await adminClient(t);
  const { createOrder } = await owner.client.ok(CreateOrderDocument, {
    input: { items: [{ sku: 'MUG-LOGO', quantity: 1 }], shippingAddress: '5 Fan Out Lane' },
  });
  const connect = (token: string) => {
    const socket = liveClient(t.app.url, `Bearer ${token}`);
    sockets.push(socket);
    return socket;
  };
  const subs = [
    subscribe(connect(owner.token), OrderStatusChangedDocument, { orderId: createOrder.id }),
    subscribe(connect(owner.token), OrderStatusChangedDocument, {}),
    subscribe(connect(owner.token), OrderStatusChangedDocument, {}),
  ];
  const strangers = subscribe(connect(stranger.token), OrderStatusChangedDocument, {});
  await waitFor('four subscriptions', () => t.app.services.live.size === 4);

  const lookups = vi.spyOn(t.app.services.orderCache, 'get');
  await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: createOrder.id, status: 'PAID' } });
  await waitFor('every owner subscription to get PAID', () =>
    subs.every((s) => s.events.some((e) => e.orderStatusChanged.order.status === 'PAID')),
  );
  await settle(200);
  expect(lookups).toHaveBeenCalledTimes(1);
  expect(strangers.events).toEqual([]);
  lookups.mockRestore();
});
