// Fulfilment (SPEC section 10) through the API and the broker: shipments
// recorded by staff and reported by the shipping service, deliveries,
// cancelled lines with their stock and refunds, who may do what, and what
// concurrent calls leave behind.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/broker/topology.js';
import {
  CancelOrderDocument,
  CancelOrderLinesDocument,
  CreateOrderDocument,
  CreateShipmentDocument,
  MarkShipmentDeliveredDocument,
  OrderDocument,
  OrderStatusChangedDocument,
  UpdateOrderStatusDocument,
} from '../generated/graphql.js';
import { codes, type GraphQLClient } from '../support/client.js';
import { observeOrderEvents, publishPayment, publishShipping, type Observer } from '../support/events.js';
import { addProduct, adminClient, newCustomer, startTestApp, stockOf, type TestApp } from '../support/harness.js';
import { liveClient, subscribe, type LiveClient } from '../support/live.js';
import { changesInDatabase, recorded, trackChanges, versionsByOrder, type Tracker } from '../support/tracker.js';
import { waitFor } from '../support/wait.js';

let t: TestApp;
let admin: GraphQLClient;
let adminId: string;
let observer: Observer;
const sockets: LiveClient[] = [];
const trackers: Tracker[] = [];

beforeAll(async () => {
  t = await startTestApp();
  const login = await adminClient(t);
  admin = login.client;
  adminId = login.id;
  observer = await observeOrderEvents(t);
});
afterAll(async () => {
  await Promise.all(trackers.map((tracker) => tracker.dispose()));
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await observer?.close();
  await t?.stop();
});

type Customer = Awaited<ReturnType<typeof newCustomer>>;

/** Two products of the test's own: a mug at 12.50 and a cap at 15.00, 10 of each in stock. */
async function products() {
  return {
    mug: await addProduct(t, { stock: 10, priceMinor: 1250 }),
    cap: await addProduct(t, { stock: 10, priceMinor: 1500 }),
  };
}

async function placeOrder(customer: Customer, items: { sku: string; quantity: number }[]) {
  const { createOrder } = await customer.client.ok(CreateOrderDocument, {
    input: { items, shippingAddress: '7 Parcel Street' },
  });
  return createOrder;
}

async function readOrder(id: string) {
  const { order } = await admin.ok(OrderDocument, { id });
  if (!order) throw new Error(`no order ${id}`);
  return order;
}

/** A paid order of 2 mugs and 1 cap (40.00), paid through the payment consumer as the payment service would. */
async function paidOrder(customer?: Customer) {
  const owner = customer ?? (await newCustomer(t));
  const skus = await products();
  const order = await placeOrder(owner, [
    { sku: skus.mug, quantity: 2 },
    { sku: skus.cap, quantity: 1 },
  ]);
  await pay(order.id, order.total.minorUnits);
  await waitFor('the order to be PAID', async () => (await readOrder(order.id)).status === 'PAID');
  return { order, owner, ...skus };
}

function pay(orderId: string, minorUnits: number) {
  return publishPayment(t, {
    orderId,
    paymentId: `pay_${randomUUID().slice(0, 8)}`,
    status: 'SUCCEEDED',
    amount: { minorUnits, currencyCode: 'EUR' },
  });
}

const ship = (orderId: string, lines: { sku: string; quantity: number }[], extra: Record<string, unknown> = {}) =>
  admin.request(CreateShipmentDocument, { input: { orderId, lines, ...extra } });

async function inboxCount(messageIds: string[]) {
  const [row] = await t.app.orm.em
    .fork()
    .execute<{ n: string }[]>(
      `select count(*) as n from processed_messages where consumer = ? and message_id = any(?::text[])`,
      [Queue.SHIPPING, `{${messageIds.join(',')}}`],
    );
  return Number(row?.n);
}

describe('an order shipped in two parts and delivered', () => {
  it('by createShipment and a shipment.shipped message, with history, events and live updates', async () => {
    const customer = await newCustomer(t);
    const { mug, cap } = await products();
    const order = await placeOrder(customer, [
      { sku: mug, quantity: 2 },
      { sku: cap, quantity: 1 },
    ]);
    // The customer's tracking page: a resuming tracker, and a plain subscriber that keeps each order payload.
    const tracker = trackChanges(t.app.url, () => customer.token, { orderId: order.id });
    trackers.push(tracker);
    const socket = liveClient(t.app.url, `Bearer ${customer.token}`);
    sockets.push(socket);
    const live = subscribe(socket, OrderStatusChangedDocument, { orderId: order.id });
    await waitFor('both subscriptions', () => t.app.services.live.size >= 2);
    const changeAt = async (version: number) =>
      waitFor(`the live change of version ${version}`, () =>
        live.events.map((e) => e.orderStatusChanged).find((c) => c.version === version),
      );

    await pay(order.id, 4000);
    await changeAt(2);

    // Staff ship the mugs.
    const first = await ship(order.id, [{ sku: mug, quantity: 2 }], {
      carrier: 'DHL',
      trackingNumber: 'JD0001',
      expectedVersion: 2,
    });
    expect(first.errors).toBeUndefined();
    const afterFirst = first.data!.createShipment;
    expect(afterFirst).toMatchObject({ status: 'PARTIALLY_SHIPPED', version: 3 });
    expect(afterFirst.items.map((i) => [i.sku, i.status, i.quantityShipped])).toEqual([
      [mug, 'SHIPPED', 2],
      [cap, 'PENDING', 0],
    ]);
    const staffShipment = afterFirst.shipments[0]!;
    expect(staffShipment).toMatchObject({
      status: 'SHIPPED',
      carrier: 'DHL',
      trackingNumber: 'JD0001',
      lines: [{ sku: mug, quantity: 2 }],
      deliveredAt: null,
    });
    expect(staffShipment.id).toMatch(/^[0-9a-f-]{36}$/);

    // What a tracking page gets with the change, without asking again: 2 of 3 items shipped, and the tracking.
    const partly = await changeAt(3);
    expect([partly.previousStatus, partly.status]).toEqual(['PAID', 'PARTIALLY_SHIPPED']);
    const shippedUnits = partly.order.items.reduce((sum, i) => sum + i.quantityShipped, 0);
    const allUnits = partly.order.items.reduce((sum, i) => sum + i.quantity, 0);
    expect(
      `${shippedUnits} of ${allUnits} items shipped, tracking number ${partly.order.shipments[0]?.trackingNumber}`,
    ).toBe('2 of 3 items shipped, tracking number JD0001');

    // The shipping service ships the cap.
    await publishShipping(
      t,
      'shipment.shipped',
      {
        orderId: order.id,
        shipmentId: 'SHP-CAP-1',
        lines: [{ sku: cap, quantity: 1 }],
        carrier: 'UPS',
        trackingNumber: '1Z999',
      },
      { correlationId: 'corr-shipping-1' },
    );
    const shipped = await changeAt(4);
    expect([shipped.previousStatus, shipped.status, shipped.actor]).toEqual([
      'PARTIALLY_SHIPPED',
      'SHIPPED',
      'system:shipping',
    ]);
    expect(shipped.order.shipments.map((s) => [s.id, s.trackingNumber])).toEqual([
      [staffShipment.id, 'JD0001'],
      ['SHP-CAP-1', '1Z999'],
    ]);

    // One delivery reported, one marked by staff: the last makes the order DELIVERED.
    await publishShipping(t, 'shipment.delivered', { orderId: order.id, shipmentId: 'SHP-CAP-1' });
    const oneArrived = await changeAt(5);
    expect([oneArrived.previousStatus, oneArrived.status]).toEqual(['SHIPPED', 'SHIPPED']);
    const { markShipmentDelivered } = await admin.ok(MarkShipmentDeliveredDocument, { shipmentId: staffShipment.id });
    expect(markShipmentDelivered).toMatchObject({ status: 'DELIVERED', version: 6 });
    expect(markShipmentDelivered.items.map((i) => [i.status, i.quantityDelivered])).toEqual([
      ['DELIVERED', 2],
      ['DELIVERED', 1],
    ]);
    expect(markShipmentDelivered.shipments.every((s) => s.status === 'DELIVERED' && s.deliveredAt)).toBe(true);
    await changeAt(6);

    // History: every event of every change, oldest first, by who made it.
    const history = await waitFor('nine history entries', async () => {
      const current = await readOrder(order.id);
      return current.history.length === 9 ? current.history : undefined;
    });
    expect(history.map((h) => [h.type, h.fromStatus, h.toStatus, h.actor])).toEqual([
      ['order.created', null, 'PENDING', customer.id],
      ['order.status_changed', 'PENDING', 'PAID', 'system:payments'],
      ['order.shipment_created', 'PAID', 'PARTIALLY_SHIPPED', adminId],
      ['order.status_changed', 'PAID', 'PARTIALLY_SHIPPED', adminId],
      ['order.shipment_created', 'PARTIALLY_SHIPPED', 'SHIPPED', 'system:shipping'],
      ['order.status_changed', 'PARTIALLY_SHIPPED', 'SHIPPED', 'system:shipping'],
      ['order.shipment_delivered', 'SHIPPED', 'SHIPPED', 'system:shipping'],
      ['order.shipment_delivered', 'SHIPPED', 'DELIVERED', adminId],
      ['order.status_changed', 'SHIPPED', 'DELIVERED', adminId],
    ]);

    // The same events on the orders exchange, each with the version of its change.
    const published = await waitFor('the nine events on the orders exchange', () => {
      const mine = observer.received
        .map((d) => ({ delivery: d, body: JSON.parse(d.content.toString('utf8')) }))
        .filter((e) => e.body.data.orderId === order.id);
      return mine.length === 9 ? mine : undefined;
    });
    expect(published.map((e) => [e.body.type, e.body.data.version])).toEqual([
      ['order.created', 1],
      ['order.status_changed', 2],
      ['order.shipment_created', 3],
      ['order.status_changed', 3],
      ['order.shipment_created', 4],
      ['order.status_changed', 4],
      ['order.shipment_delivered', 5],
      ['order.shipment_delivered', 6],
      ['order.status_changed', 6],
    ]);
    expect(published[4]?.body.data).toMatchObject({
      shipmentId: 'SHP-CAP-1',
      lines: [{ sku: cap, quantity: 1 }],
      carrier: 'UPS',
      trackingNumber: '1Z999',
    });
    // The shipping service's correlation id travels on with what its message caused.
    expect(published.slice(4, 6).map((e) => e.delivery.correlationId)).toEqual(['corr-shipping-1', 'corr-shipping-1']);

    // Live: one delivery per version, no hole, exactly the change feed; previousStatus == status when it did not move.
    await waitFor('the tracker to hear version 6', () => tracker.record.some((c) => c.version === 6));
    expect(recorded(tracker, [order.id])).toEqual(await changesInDatabase(t, [order.id]));
    expect(versionsByOrder(tracker).get(order.id)).toEqual([2, 3, 4, 5, 6]);
    expect(tracker.record.find((c) => c.version === 5)).toMatchObject({ previousStatus: 'SHIPPED', status: 'SHIPPED' });
    expect(tracker.errors).toEqual([]);
    live.stop();
  });
});

describe('shipments', () => {
  it('refuse more than is left, zero, an unknown or repeated sku, an unpaid order and a stale version; nothing written', async () => {
    const { order, mug, cap } = await paidOrder();
    await ship(order.id, [{ sku: mug, quantity: 1 }]);
    const before = await readOrder(order.id);
    expect(before.version).toBe(3);
    for (const lines of [
      [{ sku: mug, quantity: 2 }],
      [{ sku: mug, quantity: 0 }],
      [{ sku: 'NOT-IN-THIS-ORDER', quantity: 1 }],
      [
        { sku: cap, quantity: 1 },
        { sku: cap, quantity: 1 },
      ],
      [],
    ]) {
      expect(codes(await ship(order.id, lines))).toEqual(['BAD_USER_INPUT']);
    }
    const more = await ship(order.id, [{ sku: mug, quantity: 2 }]);
    expect(more.errors?.[0]?.message).toBe(
      'Only 1 of ' + mug + ' left to ship (neither shipped nor cancelled); asked for 2',
    );
    expect(codes(await ship(order.id, [{ sku: cap, quantity: 1 }], { expectedVersion: 2 }))).toEqual(['CONFLICT']);

    const pending = await placeOrder(await newCustomer(t), [{ sku: mug, quantity: 1 }]);
    expect(codes(await ship(pending.id, [{ sku: mug, quantity: 1 }]))).toEqual(['INVALID_STATUS_TRANSITION']);

    const after = await readOrder(order.id);
    expect(after.version).toBe(3);
    expect(after.shipments).toHaveLength(1);
    expect(after.items.map((i) => i.quantityShipped)).toEqual([1, 0]);
  });

  it('delivering a delivered shipment again changes nothing and returns the order; an unknown one is NOT_FOUND', async () => {
    const { order, mug } = await paidOrder();
    const shipped = (await ship(order.id, [{ sku: mug, quantity: 2 }])).data!.createShipment;
    const shipmentId = shipped.shipments[0]!.id;
    const once = (await admin.ok(MarkShipmentDeliveredDocument, { shipmentId })).markShipmentDelivered;
    const twice = (await admin.ok(MarkShipmentDeliveredDocument, { shipmentId })).markShipmentDelivered;
    expect(once.version).toBe(shipped.version + 1);
    expect(twice).toEqual(once);
    expect(codes(await admin.request(MarkShipmentDeliveredDocument, { shipmentId: 'SHP-NOPE' }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await admin.request(MarkShipmentDeliveredDocument, { shipmentId: 'x'.repeat(201) }))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  it('updateOrderStatus SHIPPED ships all that remains in one shipment; DELIVERED delivers every shipment', async () => {
    const { order, mug, cap } = await paidOrder();
    await ship(order.id, [{ sku: mug, quantity: 1 }]);
    const { updateOrderStatus: shipped } = await admin.ok(UpdateOrderStatusDocument, {
      input: { orderId: order.id, status: 'SHIPPED', expectedVersion: 3 },
    });
    expect(shipped).toMatchObject({ status: 'SHIPPED', version: 4 });
    expect(shipped.shipments.map((s) => s.lines)).toEqual([
      [{ sku: mug, quantity: 1 }],
      [
        { sku: mug, quantity: 1 },
        { sku: cap, quantity: 1 },
      ],
    ]);
    const { updateOrderStatus: delivered } = await admin.ok(UpdateOrderStatusDocument, {
      input: { orderId: order.id, status: 'DELIVERED' },
    });
    expect(delivered).toMatchObject({ status: 'DELIVERED', version: 5 });
    expect(delivered.shipments.map((s) => s.status)).toEqual(['DELIVERED', 'DELIVERED']);
    expect(delivered.items.map((i) => [i.status, i.quantityDelivered])).toEqual([
      ['DELIVERED', 2],
      ['DELIVERED', 1],
    ]);
    // PARTIALLY_SHIPPED says nothing of which units: only a shipment can.
    const other = await paidOrder();
    expect(
      codes(
        await admin.request(UpdateOrderStatusDocument, {
          input: { orderId: other.order.id, status: 'PARTIALLY_SHIPPED' },
        }),
      ),
    ).toEqual(['BAD_USER_INPUT']);
  });
});

describe('cancelling lines', () => {
  it('on an unpaid order: the total drops, stock comes back, nothing is owed; a payment must match the new total', async () => {
    const customer = await newCustomer(t);
    const { mug, cap } = await products();
    const order = await placeOrder(customer, [
      { sku: mug, quantity: 2 },
      { sku: cap, quantity: 1 },
    ]);
    const { cancelOrderLines } = await customer.client.ok(CancelOrderLinesDocument, {
      input: { orderId: order.id, lines: [{ sku: cap, quantity: 1 }], reason: 'no caps', expectedVersion: 1 },
    });
    expect(cancelOrderLines).toMatchObject({
      status: 'PENDING',
      version: 2,
      total: { minorUnits: 2500 },
      refundDue: { minorUnits: 0 },
    });
    expect(cancelOrderLines.items.map((i) => [i.status, i.quantityCancelled])).toEqual([
      ['PENDING', 0],
      ['CANCELLED', 1],
    ]);
    expect(await stockOf(t, cap)).toBe(10);
    expect(await stockOf(t, mug)).toBe(8);

    // A payment of the old total is not this order's total any more.
    await pay(order.id, 4000);
    await waitFor('PAYMENT_FAILED', async () => (await readOrder(order.id)).status === 'PAYMENT_FAILED');
    await pay(order.id, 2500);
    await waitFor('PAID', async () => (await readOrder(order.id)).status === 'PAID');
  });

  it('on a paid order: the total stays what was charged and refundDue grows; the last units cancel it', async () => {
    const { order, mug, cap } = await paidOrder();
    const once = (
      await admin.ok(CancelOrderLinesDocument, { input: { orderId: order.id, lines: [{ sku: mug, quantity: 1 }] } })
    ).cancelOrderLines;
    expect(once).toMatchObject({ status: 'PAID', total: { minorUnits: 4000 }, refundDue: { minorUnits: 1250 } });
    const last = (
      await admin.ok(CancelOrderLinesDocument, {
        input: {
          orderId: order.id,
          lines: [
            { sku: mug, quantity: 1 },
            { sku: cap, quantity: 1 },
          ],
        },
      })
    ).cancelOrderLines;
    expect(last).toMatchObject({ status: 'CANCELLED', total: { minorUnits: 4000 }, refundDue: { minorUnits: 4000 } });
    expect(last.items.every((i) => i.status === 'CANCELLED')).toBe(true);
    expect([await stockOf(t, mug), await stockOf(t, cap)]).toEqual([10, 10]);
    const history = await waitFor('the history of the cancellations', async () => {
      const rows = (await readOrder(order.id)).history;
      return rows.length === 5 ? rows : undefined;
    });
    expect(history.slice(2).map((h) => [h.type, h.fromStatus, h.toStatus])).toEqual([
      ['order.lines_cancelled', 'PAID', 'PAID'],
      ['order.lines_cancelled', 'PAID', 'CANCELLED'],
      ['order.cancelled', 'PAID', 'CANCELLED'],
    ]);
  });

  it('of all that is left of a partially shipped order makes it SHIPPED, then DELIVERED once every shipment is', async () => {
    const { order, mug, cap } = await paidOrder();
    const shipped = (await ship(order.id, [{ sku: mug, quantity: 2 }])).data!.createShipment;
    const partlyDelivered = (await admin.ok(MarkShipmentDeliveredDocument, { shipmentId: shipped.shipments[0]!.id }))
      .markShipmentDelivered;
    expect(partlyDelivered).toMatchObject({ status: 'PARTIALLY_SHIPPED', version: 4 });
    const { cancelOrderLines } = await admin.ok(CancelOrderLinesDocument, {
      input: { orderId: order.id, lines: [{ sku: cap, quantity: 1 }], reason: 'discontinued' },
    });
    // Two changes: the cancellation makes it SHIPPED (version 5), and every shipment being delivered, DELIVERED (6).
    expect(cancelOrderLines).toMatchObject({ status: 'DELIVERED', version: 6, refundDue: { minorUnits: 1500 } });
    expect(await changesInDatabase(t, [order.id])).toEqual([
      { orderId: order.id, version: 2, status: 'PAID' },
      { orderId: order.id, version: 3, status: 'PARTIALLY_SHIPPED' },
      { orderId: order.id, version: 4, status: 'PARTIALLY_SHIPPED' },
      { orderId: order.id, version: 5, status: 'SHIPPED' },
      { orderId: order.id, version: 6, status: 'DELIVERED' },
    ]);
    // Nothing shipped is ever cancelled.
    const other = await paidOrder();
    await ship(other.order.id, [{ sku: other.mug, quantity: 2 }]);
    const tooMuch = await admin.request(CancelOrderLinesDocument, {
      input: { orderId: other.order.id, lines: [{ sku: other.mug, quantity: 1 }] },
    });
    expect(codes(tooMuch)).toEqual(['BAD_USER_INPUT']);
    const rest = (
      await admin.ok(CancelOrderLinesDocument, {
        input: { orderId: other.order.id, lines: [{ sku: other.cap, quantity: 1 }] },
      })
    ).cancelOrderLines;
    expect(rest).toMatchObject({ status: 'SHIPPED', refundDue: { minorUnits: 1500 } });
  });

  it('cancelling a whole paid order by any path makes refundDue what was charged for units not shipped', async () => {
    // By cancelOrder, after one mug was already cancelled: owed the whole charge, stock back exactly once.
    const a = await paidOrder();
    await admin.ok(CancelOrderLinesDocument, { input: { orderId: a.order.id, lines: [{ sku: a.mug, quantity: 1 }] } });
    const byCancel = (await admin.ok(CancelOrderDocument, { input: { orderId: a.order.id, reason: 'fraud' } }))
      .cancelOrder;
    expect(byCancel).toMatchObject({
      status: 'CANCELLED',
      total: { minorUnits: 4000 },
      refundDue: { minorUnits: 4000 },
    });
    expect([await stockOf(t, a.mug), await stockOf(t, a.cap)]).toEqual([10, 10]);
    // By updateOrderStatus CANCELLED.
    const b = await paidOrder();
    const byStatus = (
      await admin.ok(UpdateOrderStatusDocument, { input: { orderId: b.order.id, status: 'CANCELLED' } })
    ).updateOrderStatus;
    expect(byStatus).toMatchObject({ status: 'CANCELLED', refundDue: { minorUnits: 4000 } });
    expect(byStatus.items.map((i) => i.quantityCancelled)).toEqual([2, 1]);
    // An unpaid order cancelled owes nothing and its total drops to what is still to be paid: nothing.
    const customer = await newCustomer(t);
    const unpaid = await placeOrder(customer, [{ sku: a.mug, quantity: 1 }]);
    const cancelled = (await customer.client.ok(CancelOrderDocument, { input: { orderId: unpaid.id } })).cancelOrder;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', total: { minorUnits: 0 }, refundDue: { minorUnits: 0 } });
  });
});

describe('who may do what', () => {
  it('a cached order shows each shipment, delivery and cancelled line on the next read', async () => {
    const { order, owner, mug, cap } = await paidOrder();
    const read = async () => (await owner.client.ok(OrderDocument, { id: order.id })).order!;
    await read();
    const loads = t.app.services.orderCache.loads;
    await read();
    expect(t.app.services.orderCache.loads).toBe(loads); // served from the cache

    expect(codes(await ship(order.id, [{ sku: mug, quantity: 1 }]))).toEqual([]);
    const shipped = await read();
    expect(shipped).toMatchObject({ status: 'PARTIALLY_SHIPPED', shipments: [{ status: 'SHIPPED' }] });
    expect(shipped.shipments[0]!.lines).toEqual([{ sku: mug, quantity: 1 }]);

    await admin.ok(MarkShipmentDeliveredDocument, { shipmentId: shipped.shipments[0]!.id });
    expect((await read()).shipments[0]).toMatchObject({ status: 'DELIVERED' });

    await admin.ok(CancelOrderLinesDocument, {
      input: { orderId: order.id, lines: [{ sku: cap, quantity: 1 }], reason: 'out of caps' },
    });
    const cancelled = await read();
    expect(cancelled.items.find((i) => i.sku === cap)).toMatchObject({ quantityCancelled: 1 });
    expect(cancelled.refundDue.minorUnits).toBeGreaterThan(0);
    expect(t.app.services.orderCache.loads).toBeGreaterThan(loads); // each change sent the read back to the database
  });

  it('a customer never sees another’s shipments, and cannot create shipments or mark them delivered', async () => {
    const a = await newCustomer(t);
    const b = await newCustomer(t);
    const { order, mug } = await paidOrder(a);
    const shipmentId = (await ship(order.id, [{ sku: mug, quantity: 1 }])).data!.createShipment.shipments[0]!.id;

    // A sees their own shipment.
    expect((await a.client.ok(OrderDocument, { id: order.id })).order?.shipments.map((s) => s.id)).toEqual([
      shipmentId,
    ]);
    // B: the order, and so its shipments, is NOT_FOUND, whatever B tries.
    const read = await b.client.request(OrderDocument, { id: order.id });
    expect(codes(read)).toEqual(['NOT_FOUND']);
    expect(read.data?.order ?? null).toBeNull();
    expect(codes(await b.client.request(MarkShipmentDeliveredDocument, { shipmentId }))).toEqual(['NOT_FOUND']);
    expect(
      codes(
        await b.client.request(CreateShipmentDocument, {
          input: { orderId: order.id, lines: [{ sku: mug, quantity: 1 }] },
        }),
      ),
    ).toEqual(['NOT_FOUND']);
    // A, on their own order: staff work is FORBIDDEN.
    expect(
      codes(
        await a.client.request(CreateShipmentDocument, {
          input: { orderId: order.id, lines: [{ sku: mug, quantity: 1 }] },
        }),
      ),
    ).toEqual(['FORBIDDEN']);
    expect(codes(await a.client.request(MarkShipmentDeliveredDocument, { shipmentId }))).toEqual(['FORBIDDEN']);
    const after = await readOrder(order.id);
    expect(after.version).toBe(3);
    expect(after.shipments.map((s) => s.status)).toEqual(['SHIPPED']);
  });

  it('a customer may cancel lines of their own PENDING or PAYMENT_FAILED order only', async () => {
    const a = await newCustomer(t);
    const b = await newCustomer(t);
    const { mug } = await products();
    const pending = await placeOrder(a, [{ sku: mug, quantity: 3 }]);
    const cancel = (client: GraphQLClient, orderId: string) =>
      client.request(CancelOrderLinesDocument, { input: { orderId, lines: [{ sku: mug, quantity: 1 }] } });
    expect(
      codes(
        await b.client.request(CancelOrderLinesDocument, {
          input: { orderId: pending.id, lines: [{ sku: mug, quantity: 1 }] },
        }),
      ),
    ).toEqual(['NOT_FOUND']);
    expect((await cancel(a.client, pending.id)).errors).toBeUndefined();

    await pay(pending.id, 1);
    await waitFor('PAYMENT_FAILED', async () => (await readOrder(pending.id)).status === 'PAYMENT_FAILED');
    expect((await cancel(a.client, pending.id)).errors).toBeUndefined();

    await pay(pending.id, 1250);
    await waitFor('PAID', async () => (await readOrder(pending.id)).status === 'PAID');
    expect(codes(await cancel(a.client, pending.id))).toEqual(['INVALID_STATUS_TRANSITION']);
    const paid = await readOrder(pending.id);
    expect(paid.items[0]).toMatchObject({ quantityCancelled: 2 });
    expect(paid.refundDue.minorUnits).toBe(0);
    expect(await stockOf(t, mug)).toBe(9);
  });
});

describe('under concurrency', () => {
  it('shipments of one line from the API and the shipping service together never exceed it', async () => {
    const customer = await newCustomer(t);
    const mug = await addProduct(t, { stock: 10, priceMinor: 1250 });
    const order = await placeOrder(customer, [{ sku: mug, quantity: 5 }]);
    await pay(order.id, 6250);
    await waitFor('PAID', async () => (await readOrder(order.id)).status === 'PAID');

    const messageIds = Array.from({ length: 4 }, (_, i) => `conc-${order.id}-${i}`);
    const [fromApi] = await Promise.all([
      Promise.all(Array.from({ length: 6 }, () => ship(order.id, [{ sku: mug, quantity: 1 }]))),
      Promise.all(
        messageIds.map((id, i) =>
          publishShipping(
            t,
            'shipment.shipped',
            {
              orderId: order.id,
              shipmentId: `SHP-CONC-${i}-${order.id.slice(0, 8)}`,
              lines: [{ sku: mug, quantity: 1 }],
            },
            { id },
          ),
        ),
      ),
    ]);
    await waitFor('every shipping message handled', async () => (await inboxCount(messageIds)) === 4);
    const accepted = fromApi.filter((r) => !r.errors).length;
    const refused = fromApi.filter(
      (r) => codes(r).includes('BAD_USER_INPUT') || codes(r).includes('INVALID_STATUS_TRANSITION'),
    );
    expect(accepted + refused.length).toBe(6);

    const final = await readOrder(order.id);
    expect(final.status).toBe('SHIPPED');
    expect(final.items[0]).toMatchObject({ quantity: 5, quantityShipped: 5, status: 'SHIPPED' });
    expect(final.shipments).toHaveLength(5);
    expect(final.shipments.reduce((sum, s) => sum + s.lines[0]!.quantity, 0)).toBe(5);
    // Every accepted shipment is one change, and the versions have no hole.
    expect(final.version).toBe(2 + 5);
    expect((await changesInDatabase(t, [order.id])).map((c) => c.version)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('the same units cancelled twice at once: one wins; stock and refundDue are exact', async () => {
    const { order, mug, cap } = await paidOrder();
    const cancel = () =>
      admin.request(CancelOrderLinesDocument, { input: { orderId: order.id, lines: [{ sku: mug, quantity: 2 }] } });
    const results = await Promise.all([cancel(), cancel(), cancel()]);
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.flatMap((r) => codes(r))).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT']);
    const after = await readOrder(order.id);
    expect(after).toMatchObject({ status: 'PAID', refundDue: { minorUnits: 2500 }, version: 3 });
    expect(await stockOf(t, mug)).toBe(10);
    expect(await stockOf(t, cap)).toBe(9);
  });

  it('cancelOrder racing line cancellations: every unit returned once, refundDue equal to what was cancelled', async () => {
    for (let round = 0; round < 3; round++) {
      const { order, mug, cap } = await paidOrder();
      const lines = (sku: string, quantity: number) =>
        admin.request(CancelOrderLinesDocument, { input: { orderId: order.id, lines: [{ sku, quantity }] } });
      await Promise.all([
        lines(mug, 1),
        lines(mug, 2),
        lines(cap, 1),
        admin.request(CancelOrderDocument, { input: { orderId: order.id } }),
        lines(mug, 1),
      ]);
      const after = await readOrder(order.id);
      const [mugLine, capLine] = after.items;
      expect(await stockOf(t, mug)).toBe(8 + mugLine!.quantityCancelled);
      expect(await stockOf(t, cap)).toBe(9 + capLine!.quantityCancelled);
      expect(after.refundDue.minorUnits).toBe(mugLine!.quantityCancelled * 1250 + capLine!.quantityCancelled * 1500);
      if (after.status === 'CANCELLED') expect(after.refundDue.minorUnits).toBe(4000);
      else expect(after.status).toBe('PAID');
    }
  });
});
