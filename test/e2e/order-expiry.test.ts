// Unpaid orders do not hold stock for ever (SPEC section 13): PENDING and
// PAYMENT_FAILED orders older than ORDER_PAYMENT_TIMEOUT are cancelled by
// system:expiry, their stock returned, the cancellation audited, published
// and pushed live, exactly once although two instances of one deployment,
// each running the consumers, sweep at the same time.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OrderExpiry } from '../../src/orders/index.js';
import { OrderHistory } from '../../src/orders/order-history.entity.js';
import { Order } from '../../src/orders/order.entity.js';
import { OrderStatus } from '../../src/orders/status-machine.js';
import { OutboxMessage } from '../../src/outbox/outbox.entity.js';
import { CreateOrderDocument, OrderStatusChangedDocument, UpdateOrderStatusDocument } from '../generated/graphql.js';
import { addProduct, adminClient, newCustomer, startTestApp, stockOf, type TestApp } from '../support/harness.js';
import { liveClient, subscribe, waitFor, type LiveClient } from '../support/live.js';

const TIMEOUT = { ORDER_PAYMENT_TIMEOUT: '3s' };

let a: TestApp;
let b: TestApp;
const open: LiveClient[] = [];
beforeAll(async () => {
  a = await startTestApp(TIMEOUT);
  b = await startTestApp(TIMEOUT, { shareWith: a });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.dispose()));
  await b?.stop();
  await a?.stop();
});

it('cancels unpaid orders once, returns their stock, audits, publishes and pushes each change, and leaves paid ones', async () => {
  const sku = await addProduct(a, { stock: 100 });
  const customer = await newCustomer(a);
  const admin = await adminClient(a);
  const place = async (quantity: number) =>
    (
      await customer.client.ok(CreateOrderDocument, {
        input: { items: [{ sku, quantity }], shippingAddress: '1 Slow Payer Lane' },
      })
    ).createOrder.id;

  const live = liveClient(b.app.url, `Bearer ${customer.token}`);
  open.push(live);
  const changes = subscribe(live, OrderStatusChangedDocument, {});
  await waitFor('the subscription on B', () => b.app.services.live.size > 0);

  const pending = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((q) => place(q)));
  const failed = await place(9);
  await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: failed, status: 'PAYMENT_FAILED' } });
  const paid = await place(10);
  await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: paid, status: 'PAID' } });
  expect(await stockOf(a, sku)).toBe(100 - 55);
  const unpaid = [...pending, failed];

  // Besides each instance's own timer, both sweep at once the moment the orders fall due.
  await new Promise((resolve) => setTimeout(resolve, 3_100));
  await Promise.all([a, b].map((t) => new OrderExpiry(t.app.orm, t.app.services.moves, 3_000).sweep().catch(() => 0)));

  const em = () => a.app.orm.em.fork();
  await waitFor('every unpaid order CANCELLED', async () => {
    const statuses = await em().find(Order, { id: { $in: unpaid } }, { fields: ['status'] });
    return statuses.every((o) => o.status === 'CANCELLED');
  });
  // Stock back for exactly the unpaid orders: the paid one keeps its 10.
  expect(await stockOf(a, sku)).toBe(90);
  expect((await em().findOneOrFail(Order, paid)).status).toBe('PAID');

  // Published once each (one order.cancelled outbox row, sent), audited once each (history via the audit consumer).
  await waitFor('the cancellations published and audited', async () => {
    const sent = await em().count(OutboxMessage, {
      aggregateId: { $in: unpaid },
      type: 'order.cancelled',
      sentAt: { $ne: null },
    });
    const audited = await em().count(OrderHistory, { orderId: { $in: unpaid }, toStatus: OrderStatus.CANCELLED });
    return sent === unpaid.length && audited === unpaid.length;
  });
  expect(await em().count(OutboxMessage, { aggregateId: { $in: unpaid }, type: 'order.cancelled' })).toBe(
    unpaid.length,
  );
  const history = await em().find(OrderHistory, { orderId: { $in: unpaid }, toStatus: OrderStatus.CANCELLED });
  expect(history).toHaveLength(unpaid.length);
  for (const entry of history) {
    expect(entry.actor).toBe('system:expiry');
    expect(entry.reason).toBe('Not paid within 3s');
  }

  // Pushed live to the owner on the other instance: one CANCELLED change per unpaid order.
  await waitFor(
    'the live cancellations',
    () => changes.events.filter((e) => e.orderStatusChanged.status === 'CANCELLED').length >= unpaid.length,
  );
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // a duplicate would show by now
  const cancelledLive = changes.events.filter((e) => e.orderStatusChanged.status === 'CANCELLED');
  expect(cancelledLive.map((e) => e.orderStatusChanged.order.id).sort()).toEqual([...unpaid].sort());
  expect(new Set(cancelledLive.map((e) => e.orderStatusChanged.actor))).toEqual(new Set(['system:expiry']));
});

it('counts the orders each process expired in /metrics: one per order across both instances', async () => {
  const expired = async () => {
    let sum = 0;
    for (const t of [a, b]) {
      const line = (await t.app.metrics.render()).split('\n').find((l) => l.startsWith('orders_expired_total '));
      sum += Number(line?.split(' ')[1] ?? Number.NaN);
    }
    return sum;
  };
  const before = await expired();
  expect(before).not.toBeNaN();
  const sku = await addProduct(a, { stock: 10 });
  const customer = await newCustomer(a);
  const { createOrder } = await customer.client.ok(CreateOrderDocument, {
    input: { items: [{ sku, quantity: 2 }], shippingAddress: '2 Slow Payer Lane' },
  });
  // Only the instances' own sweeps this time.
  await waitFor('the order expired', async () => (await expired()) === before + 1, 20_000);
  expect((await a.app.orm.em.fork().findOneOrFail(Order, createOrder.id)).status).toBe('CANCELLED');
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // a second count would show by now
  expect(await expired()).toBe(before + 1);
});
