// The orders.shipping consumer on the real broker (the test's RabbitMQ vhost,
// or the in-process bus): duplicated, reordered and conflicting messages from
// the shipping service, poison messages and unknown orders.
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/broker/topology.js';
import {
  CancelOrderDocument,
  CreateOrderDocument,
  OrderDocument,
  UpdateOrderStatusDocument,
} from '../generated/graphql.js';
import type { Subscription } from '../../src/broker/broker.js';
import { shippingHandler } from '../../consumers/shipping.consumer.js';
import {
  consumeQuickly,
  deadLetterIds,
  publishPayment,
  publishRawShipping,
  publishShipping,
} from '../support/events.js';
import { addProduct, adminClient, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { settle, waitFor } from '../support/wait.js';

// The consumer's own account of each message (applied, duplicate, kept, ignored and why), from its log lines.
const logLines: { msg: string; messageId?: string; why?: string }[] = [];
const capturingLogger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
const said = (msg: string, messageId: string) => logLines.filter((l) => l.msg === msg && l.messageId === messageId);

let t: TestApp;
let admin: Awaited<ReturnType<typeof adminClient>>['client'];
beforeAll(async () => {
  t = await startTestApp({}, { logger: capturingLogger });
  admin = (await adminClient(t)).client;
});
afterAll(async () => {
  await t?.stop();
});

async function readOrder(id: string) {
  const { order } = await admin.ok(OrderDocument, { id });
  if (!order) throw new Error(`no order ${id}`);
  return order;
}

/** An order of 3 mugs and 1 cap, PAID unless told otherwise. */
async function order(options: { paid?: boolean } = {}) {
  const mug = await addProduct(t, { stock: 10, priceMinor: 1000 });
  const cap = await addProduct(t, { stock: 10, priceMinor: 500 });
  const customer = await newCustomer(t);
  const { createOrder } = await customer.client.ok(CreateOrderDocument, {
    input: {
      items: [
        { sku: mug, quantity: 3 },
        { sku: cap, quantity: 1 },
      ],
      shippingAddress: '4 Courier Court',
    },
  });
  if (options.paid ?? true) {
    await publishPayment(t, {
      orderId: createOrder.id,
      paymentId: 'pay_1',
      status: 'SUCCEEDED',
      amount: { minorUnits: 3500, currencyCode: 'EUR' },
    });
    await waitFor('PAID', async () => (await readOrder(createOrder.id)).status === 'PAID');
  }
  return { id: createOrder.id, mug, cap };
}

const shipped = (orderId: string, shipmentId: string, lines: { sku: string; quantity: number }[], id?: string) =>
  publishShipping(t, 'shipment.shipped', { orderId, shipmentId, lines, carrier: 'DHL', trackingNumber: 'T-1' }, { id });
const delivered = (orderId: string, shipmentId: string, id?: string) =>
  publishShipping(t, 'shipment.delivered', { orderId, shipmentId }, { id });

/** Waits until the consumer has recorded these messages in its inbox (applied, duplicate or not). */
async function handled(...messageIds: string[]) {
  await waitFor(`${messageIds.length} shipping message(s) handled`, async () => {
    const rows = await t.app.orm.em
      .fork()
      .execute<{ n: string }[]>(
        `select count(*) as n from processed_messages where consumer = ? and message_id = any(?::text[])`,
        [Queue.SHIPPING, `{${messageIds.join(',')}}`],
      );
    return Number(rows[0]?.n) === messageIds.length;
  });
}

describe('shipment.shipped and shipment.delivered', () => {
  it('the same shipment.shipped published 5 times records one shipment and one change', async () => {
    const o = await order();
    const id = await shipped(o.id, 'SHP-DUP-1', [{ sku: o.mug, quantity: 2 }]);
    for (let i = 0; i < 4; i++) await shipped(o.id, 'SHP-DUP-1', [{ sku: o.mug, quantity: 2 }], id);
    // And once more under another message id: the shipment id is what makes it the same shipment.
    const again = await shipped(o.id, 'SHP-DUP-1', [{ sku: o.mug, quantity: 2 }]);
    await handled(id, again);
    await waitFor(
      'the four copies turned away',
      () => said('duplicate shipping message: already applied', id).length === 4,
    );
    await settle(200);
    expect(said('shipping message applied', id)).toHaveLength(1);
    expect(said('duplicate shipping message: already applied', again)[0]?.why).toBe(
      'shipment SHP-DUP-1 is already recorded',
    );
    const after = await readOrder(o.id);
    expect(after).toMatchObject({ status: 'PARTIALLY_SHIPPED', version: 3 });
    expect(after.shipments.map((s) => [s.id, s.carrier, s.trackingNumber])).toEqual([['SHP-DUP-1', 'DHL', 'T-1']]);
    expect(after.items.map((i) => i.quantityShipped)).toEqual([2, 0]);

    // Delivered twice under two message ids: delivered once.
    const first = await delivered(o.id, 'SHP-DUP-1');
    const second = await delivered(o.id, 'SHP-DUP-1');
    await handled(first, second);
    const now = await readOrder(o.id);
    expect(now.version).toBe(4);
    expect(now.items.map((i) => i.quantityDelivered)).toEqual([2, 0]);
  });

  it('a delivery that overtakes its shipment is kept, and applied when the shipment arrives', async () => {
    const o = await order();
    const early = await delivered(o.id, 'SHP-LATE-1');
    await handled(early);
    expect(said('delivery kept until its shipment arrives', early)).toHaveLength(1);
    expect(await readOrder(o.id)).toMatchObject({ status: 'PAID', version: 2 });

    const late = await shipped(o.id, 'SHP-LATE-1', [
      { sku: o.mug, quantity: 3 },
      { sku: o.cap, quantity: 1 },
    ]);
    await handled(late);
    const after = await readOrder(o.id);
    // Shipped (version 3, SHIPPED), then delivered (version 4, DELIVERED): two changes, in that order.
    expect(after).toMatchObject({ status: 'DELIVERED', version: 4 });
    expect(after.shipments.map((s) => s.status)).toEqual(['DELIVERED']);
    const changes = await t.app.orm.em
      .fork()
      .execute<{ version: number; from_status: string; to_status: string }[]>(
        `select version, from_status, to_status from order_changes where order_id = ? order by version`,
        [o.id],
      );
    expect(changes.map((c) => [c.version, c.from_status, c.to_status])).toEqual([
      [2, 'PENDING', 'PAID'],
      [3, 'PAID', 'SHIPPED'],
      [4, 'SHIPPED', 'DELIVERED'],
    ]);
    const kept = await t.app.orm.em.fork().execute(`select * from early_deliveries where order_id = ?`, [o.id]);
    expect(kept).toEqual([]);
  });

  it('a message that disagrees with the order is acknowledged, changes nothing, and is logged with the reason', async () => {
    const o = await order();
    const unpaid = await order({ paid: false });
    const cancelled = await order();
    await admin.ok(CancelOrderDocument, { input: { orderId: cancelled.id } });
    const other = await order();
    await shipped(other.id, 'SHP-OTHER-1', [{ sku: other.mug, quantity: 1 }]);
    const done = await order();
    await admin.ok(UpdateOrderStatusDocument, { input: { orderId: done.id, status: 'SHIPPED' } });
    await waitFor('the other order shipped', async () => (await readOrder(other.id)).shipments.length === 1);

    const cases: [string, string, RegExp][] = [
      [
        await shipped(o.id, 'SHP-C-1', [{ sku: o.mug, quantity: 4 }]),
        o.id,
        /Only 3 of TEST-\w+ left to ship .*asked for 4/,
      ],
      [
        await shipped(o.id, 'SHP-C-2', [{ sku: 'NOT-ORDERED', quantity: 1 }]),
        o.id,
        /The order has no line NOT-ORDERED/,
      ],
      [
        await shipped(unpaid.id, 'SHP-C-3', [{ sku: unpaid.mug, quantity: 1 }]),
        unpaid.id,
        /A PENDING order cannot ship/,
      ],
      [
        await shipped(cancelled.id, 'SHP-C-4', [{ sku: cancelled.mug, quantity: 1 }]),
        cancelled.id,
        /A CANCELLED order cannot ship/,
      ],
      [await shipped(o.id, 'SHP-OTHER-1', [{ sku: o.mug, quantity: 1 }]), o.id, /belongs to order/],
      [await delivered(done.id, 'SHP-NEVER'), done.id, /SHP-NEVER is unknown, and a SHIPPED order ships no more/],
    ];
    const before = new Map<string, number>();
    for (const id of [o.id, unpaid.id, cancelled.id, done.id]) before.set(id, (await readOrder(id)).version);
    await handled(...cases.map(([messageId]) => messageId));
    for (const [messageId, orderId, why] of cases) {
      const lines = said('shipping message changes nothing', messageId);
      expect(lines, `the log line for ${messageId}`).toHaveLength(1);
      expect(lines[0]?.why).toMatch(why);
      expect((await readOrder(orderId)).version).toBe(before.get(orderId));
    }
    expect((await readOrder(o.id)).shipments).toEqual([]);
    expect(await deadLetterIds(t, Queue.SHIPPING)).not.toEqual(expect.arrayContaining(cases.map(([id]) => id)));
  });
});

describe('shipping messages that fail (the retry schedule shortened)', () => {
  // The app's consumer swapped for one with the same handler and quick retries (the real schedule takes about 46 s).
  let subscription: Subscription | undefined;
  beforeAll(async () => {
    subscription = await consumeQuickly(t, Queue.SHIPPING, shippingHandler(t.app.services.fulfilment, capturingLogger));
  });
  afterAll(async () => {
    await subscription?.cancel();
  });

  it('a poison message reaches the DLQ after the retry bound while later messages flow', async () => {
    const o = await order();
    const poison = [
      await publishRawShipping(t, Buffer.from('{not json')),
      await publishShipping(t, 'shipment.shipped', { orderId: o.id, shipmentId: 'SHP-P-1', lines: [] }),
      await publishShipping(t, 'shipment.shipped', { orderId: 'nope', shipmentId: 'SHP-P-2', lines: [] }),
      await publishShipping(t, 'shipment.delivered', { orderId: o.id }),
    ];
    const good = await shipped(o.id, 'SHP-GOOD-1', [{ sku: o.cap, quantity: 1 }]);
    await handled(good);
    expect((await readOrder(o.id)).shipments.map((s) => s.id)).toEqual(['SHP-GOOD-1']);
    const dead = await waitFor('the poison messages in the DLQ', async () => {
      const ids = await deadLetterIds(t, Queue.SHIPPING);
      return poison.every((id) => ids.includes(id)) ? ids : undefined;
    });
    expect(dead).not.toContain(good);
  });

  it('a shipment for an unknown order is retried, then dead-lettered, and writes nothing', async () => {
    const orderId = randomUUID();
    const id = await shipped(orderId, 'SHP-GHOST-1', [{ sku: 'X', quantity: 1 }]);
    await waitFor('the dead letter', async () => (await deadLetterIds(t, Queue.SHIPPING)).includes(id));
    const rows = await t.app.orm.em
      .fork()
      .execute(`select 1 from processed_messages where consumer = ? and message_id = ?`, [Queue.SHIPPING, id]);
    expect(rows).toEqual([]);
    expect(await t.app.orm.em.fork().execute(`select 1 from shipments where id = 'SHP-GHOST-1'`)).toEqual([]);
  });
});
