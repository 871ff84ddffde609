// /metrics counts what really happens: open sockets and subscriptions, order
// cache lookups, and messages the consumers handle.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CreateOrderDocument, OrderDocument, OrderStatusChangedDocument } from '../generated/graphql.js';
import { adminClient, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { liveClient, subscribe, type LiveClient } from '../support/live.js';
import { waitFor } from '../support/wait.js';

let t: TestApp;
let live: LiveClient | undefined;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await live?.client.dispose();
  await t?.stop();
});

async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(new URL('/metrics', t.app.url))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}` : ''}`) && !l.startsWith('#'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

it('counts sockets, subscriptions, cache hits and consumed messages', async () => {
  const customer = await newCustomer(t);
  await adminClient(t);
  const { createOrder } = await customer.client.ok(CreateOrderDocument, {
    input: { items: [{ sku: 'MUG-LOGO', quantity: 1 }], shippingAddress: '1 Gauge Street' },
  });

  live = liveClient(t.app.url, `Bearer ${customer.token}`);
  const sub = subscribe(live, OrderStatusChangedDocument, { orderId: createOrder.id });
  await waitFor(
    'an open socket with one subscription',
    async () =>
      (await metric('graphql_ws_connections_open')) === 1 && (await metric('graphql_subscriptions_active')) === 1,
  );

  await customer.client.ok(OrderDocument, { id: createOrder.id });
  await customer.client.ok(OrderDocument, { id: createOrder.id });
  expect(await metric('cache_lookups_total', 'cache="order",result="hit"')).toBeGreaterThanOrEqual(1);

  // order.created reaches the audit consumer through the relay.
  await waitFor(
    'the audit consumer to count a message',
    async () => (await metric('messages_consumed_total', 'queue="orders.audit"')) >= 1,
  );

  sub.stop();
  await waitFor('the subscription to end', async () => (await metric('graphql_subscriptions_active')) === 0);
  await live.client.dispose();
  live = undefined;
  await waitFor('the socket to close', async () => (await metric('graphql_ws_connections_open')) === 0);
});
