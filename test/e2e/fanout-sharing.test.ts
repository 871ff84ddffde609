// One status change fanned out to many subscribers loads the order once per
// instance, not once per subscriber; each subscriber is still authorized; and
// its result is executed once for all who send the same subscription as the
// same audience (every ADMIN; one customer on all their sockets).
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
function connect(token: string): LiveClient {
  const socket = liveClient(t.app.url, `Bearer ${token}`);
  sockets.push(socket);
  return socket;
}
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

it('executes a change once for every subscriber sending the same subscription as the same audience', async () => {
  const owner = await newCustomer(t);
  const admin = await adminClient(t);
  const { createOrder } = await owner.client.ok(CreateOrderDocument, {
    input: { items: [{ sku: 'MUG-LOGO', quantity: 1 }], shippingAddress: '6 Fan Out Lane' },
  });
  const before = t.app.services.live.size;
  const admins = Array.from({ length: 4 }, () => subscribe(connect(admin.token), OrderStatusChangedDocument, {}));
  const owners = [
    subscribe(connect(owner.token), OrderStatusChangedDocument, {}),
    subscribe(connect(owner.token), OrderStatusChangedDocument, {}),
    subscribe(connect(owner.token), OrderStatusChangedDocument, { orderId: createOrder.id }),
  ];
  await waitFor('seven more subscriptions', () => t.app.services.live.size === before + 7);

  const executions = vi.spyOn(t.app.services.reads, 'orderOfChange');
  await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: createOrder.id, status: 'PAID' } });
  const paid = (events: { orderStatusChanged: { order: { id: string; status: string } } }[]) =>
    events.find(
      (e) => e.orderStatusChanged.order.id === createOrder.id && e.orderStatusChanged.order.status === 'PAID',
    );
  await waitFor('every subscription to get PAID', () => [...admins, ...owners].every((s) => paid(s.events)));
  await settle(200);
  // Every ADMIN asked the same: one execution. The owner's two sockets without an id: one. With the id: one.
  const forThisOrder = executions.mock.calls.filter(([, change]) => change.orderId === createOrder.id);
  expect(forThisOrder).toHaveLength(3);
  const received = [...admins, ...owners].map((s) => paid(s.events));
  for (const event of received) expect(event).toEqual(received[0]);
  executions.mockRestore();
});
