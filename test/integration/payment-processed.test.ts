// The PaymentProcessed consumer on the real broker (the test's RabbitMQ vhost,
// or the in-process bus): duplicates, amounts that do not match, poison
// messages and a channel lost before the ack.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryOutcome, Subscription } from '../../src/broker/broker.js';
import { Queue } from '../../src/broker/topology.js';
import { OrderHistory } from '../../src/orders/order-history.entity.js';
import { Order } from '../../src/orders/order.entity.js';
import { OutboxMessage } from '../../src/outbox/outbox.entity.js';
import { paymentProcessedHandler } from '../../consumers/payment-processed.consumer.js';
import { pino } from 'pino';
import { CreateOrderDocument } from '../generated/graphql.js';
import { consumeQuickly, deadLetterIds, publishPayment, publishRawPayment } from '../support/events.js';
import { addProduct, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { waitFor, settle } from '../support/wait.js';

// The consumer's own account of each message (applied, duplicate, ignored), read from its log lines.
const logLines: { msg: string; messageId?: string }[] = [];
const capturingLogger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
const said = (msg: string, messageId: string) =>
  logLines.filter((l) => l.msg === msg && l.messageId === messageId).length;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({}, { logger: capturingLogger });
});
afterAll(async () => {
  await t?.stop();
});

async function placeOrder(priceMinor = 1500, quantity = 2) {
  const sku = await addProduct(t, { stock: 10, priceMinor, currency: 'EUR' });
  const customer = await newCustomer(t);
  const { createOrder } = await customer.client.ok(CreateOrderDocument, {
    input: { items: [{ sku, quantity }], shippingAddress: '2 Payment Place' },
  });
  return { id: createOrder.id, total: priceMinor * quantity };
}

function payment(
  orderId: string,
  minorUnits: number,
  overrides: Partial<{ currencyCode: string; status: 'SUCCEEDED' | 'FAILED' }> = {},
) {
  return {
    orderId,
    paymentId: `pay_${orderId.slice(0, 8)}`,
    status: overrides.status ?? ('SUCCEEDED' as const),
    amount: { minorUnits, currencyCode: overrides.currencyCode ?? 'EUR' },
  };
}

const loadOrder = (id: string) => t.app.orm.em.fork().findOneOrFail(Order, { id });
const historyOf = (orderId: string) =>
  t.app.orm.em.fork().find(OrderHistory, { orderId }, { orderBy: { occurredAt: 'asc', id: 'asc' } });
const outboxOf = (aggregateId: string) => t.app.orm.em.fork().count(OutboxMessage, { aggregateId });

describe('PaymentProcessed', () => {
  it('the same PaymentProcessed published 5 times makes one transition and one history entry', async () => {
    const order = await placeOrder();
    const id = await publishPayment(t, payment(order.id, order.total));
    for (let i = 0; i < 4; i++) await publishPayment(t, payment(order.id, order.total), id);

    await waitFor('the order to be PAID and audited', async () => (await historyOf(order.id)).length === 2);
    // Give the four copies time to arrive and be dropped; then nothing may have changed twice.
    // The inbox, not the status machine, turned the four copies away.
    await waitFor(
      'the four copies to be recognised as duplicates',
      () => said('duplicate payment message: already applied', id) === 4,
    );
    await settle(300);
    expect(said('payment applied', id)).toBe(1);
    expect(await processedCount(id)).toBe(1);
    const paid = await loadOrder(order.id);
    expect(paid.status).toBe('PAID');
    expect(paid.version).toBe(2);
    expect(await outboxOf(order.id)).toBe(2);
    const history = await historyOf(order.id);
    expect(history.map((h) => [h.type, h.toStatus, h.actor])).toEqual([
      ['order.created', 'PENDING', expect.any(String)],
      ['order.status_changed', 'PAID', 'system:payments'],
    ]);
  });

  it('a FAILED payment moves the order to PAYMENT_FAILED with the reason', async () => {
    const order = await placeOrder();
    await publishPayment(t, { ...payment(order.id, order.total, { status: 'FAILED' }), reason: 'Insufficient funds' });
    await waitFor('PAYMENT_FAILED', async () => (await loadOrder(order.id)).status === 'PAYMENT_FAILED');
    const history = await waitFor('the audit entry', async () => {
      const rows = await historyOf(order.id);
      return rows.length === 2 ? rows : undefined;
    });
    expect(history[1]).toMatchObject({
      toStatus: 'PAYMENT_FAILED',
      actor: 'system:payments',
      reason: 'Insufficient funds',
    });
  });

  it('an amount that differs from the order total does not mark it PAID', async () => {
    const order = await placeOrder(1500, 2);
    await publishPayment(t, payment(order.id, order.total - 1));
    await waitFor('PAYMENT_FAILED', async () => (await loadOrder(order.id)).status === 'PAYMENT_FAILED');
    const history = await waitFor('the audit entry', async () => {
      const rows = await historyOf(order.id);
      return rows.length === 2 ? rows : undefined;
    });
    expect(history[1]?.reason).toMatch(/29\.99 EUR does not match the order total 30\.00 EUR/);
  });

  it('a currency that differs from the order currency does not mark it PAID', async () => {
    const order = await placeOrder(1500, 1);
    await publishPayment(t, payment(order.id, order.total, { currencyCode: 'USD' }));
    await waitFor('PAYMENT_FAILED', async () => (await loadOrder(order.id)).status === 'PAYMENT_FAILED');
    expect((await loadOrder(order.id)).status).not.toBe('PAID');
  });

  it('a payment for an order already PAID is acknowledged and changes nothing', async () => {
    const order = await placeOrder();
    await publishPayment(t, payment(order.id, order.total));
    await waitFor('PAID', async () => (await loadOrder(order.id)).status === 'PAID');
    const second = await publishPayment(t, {
      ...payment(order.id, order.total, { status: 'FAILED' }),
      paymentId: 'pay_again',
    });
    await waitFor('the second payment to be consumed', async () => (await processedCount(second)) === 1);
    const after = await loadOrder(order.id);
    expect(after.status).toBe('PAID');
    expect(after.version).toBe(2);
    expect(await outboxOf(order.id)).toBe(2);
    expect(await deadLetterIds(t, Queue.PAYMENT_PROCESSED)).not.toContain(second);
  });
});

describe('payments that fail (the schedule shortened)', () => {
  // The app's consumer swapped for one with the same handler and quick retries.
  const outcomes: DeliveryOutcome[] = [];
  let subscription: Subscription | undefined;
  beforeAll(async () => {
    subscription = await consumeQuickly(
      t,
      Queue.PAYMENT_PROCESSED,
      paymentProcessedHandler(t.app.services.moves, capturingLogger),
      {
        observer: { deliveryFinished: (_queue, outcome) => outcomes.push(outcome) },
      },
    );
  });
  afterAll(async () => {
    await subscription?.cancel();
  });
  const outcomesOf = (id: string) => outcomes.filter((o) => o.messageId === id);

  it('a poison message reaches the DLQ after the retry bound; a good message after it is still processed', async () => {
    const poison = await publishRawPayment(t, Buffer.from('{"id": "not json'));
    const unknownOrder = await publishPayment(t, payment('00000000-0000-4000-8000-000000000000', 100));
    const order = await placeOrder();
    await publishPayment(t, payment(order.id, order.total));

    // The good message does not wait for the poison ones to run out of tries.
    await waitFor('the good payment', async () => (await loadOrder(order.id)).status === 'PAID', 5000);
    const dead = await waitFor('both poison messages in the DLQ', async () => {
      const ids = await deadLetterIds(t, Queue.PAYMENT_PROCESSED);
      return ids.includes(poison) && ids.includes(unknownOrder) ? ids : undefined;
    });
    expect(dead.filter((id) => id === poison)).toHaveLength(1);
    expect(dead.filter((id) => id === unknownOrder)).toHaveLength(1);
    // Each failed five times, all of them permanent, and was then reported dead-lettered as poison.
    for (const id of [poison, unknownOrder]) {
      expect(outcomesOf(id).map((o) => o.kind)).toEqual([
        'retry-scheduled',
        'retry-scheduled',
        'retry-scheduled',
        'retry-scheduled',
        'dead-lettered',
      ]);
      expect(outcomesOf(id).at(-1)).toMatchObject({ failure: 'permanent', reason: 'poison', attempts: 5 });
    }
    // Dead-lettered means not applied: the unknown order's payment left no inbox row.
    expect(await processedCount(unknownOrder)).toBe(0);
  });

  it('a payment that overtakes its order is applied once the order appears, within the grace of its tries', async () => {
    const early = await placeOrder();
    const orderId = randomUUID();
    const id = await publishPayment(t, payment(orderId, early.total));
    await waitFor('the first try to fail', () => outcomesOf(id).length >= 1);
    expect(outcomesOf(id)[0]).toMatchObject({ kind: 'retry-scheduled', failure: 'permanent' });
    // The order becomes visible: a copy of an existing one under the id the payment named.
    await t.app.orm.em.fork().execute(
      `insert into orders (id, customer_id, status, currency, total_minor, shipping_address)
       select ?, customer_id, 'PENDING', currency, total_minor, shipping_address from orders where id = ?`,
      [orderId, early.id],
    );
    await waitFor('the payment applied', async () => (await loadOrder(orderId)).status === 'PAID');
    expect(outcomesOf(id).at(-1)).toMatchObject({ kind: 'acked' });
    expect(await deadLetterIds(t, Queue.PAYMENT_PROCESSED)).not.toContain(id);
  });
});

describe('a consumer channel lost before its ack', () => {
  it('the message is redelivered and applied once', async () => {
    // Swap the app's consumer for one with the same handler that loses its channel after the commit, before the ack.
    await t.app.workers!.subscriptions.get(Queue.PAYMENT_PROCESSED)?.cancel();
    const handle = paymentProcessedHandler(t.app.services.moves, capturingLogger);
    const deliveries: { messageId: string | undefined; redelivered: boolean; attempt: number }[] = [];
    let dropped = false;
    const subscription = await t.app.broker.consume(
      Queue.PAYMENT_PROCESSED,
      async (delivery) => {
        deliveries.push({
          messageId: delivery.messageId,
          redelivered: delivery.redelivered,
          attempt: delivery.attempt,
        });
        await handle(delivery);
        if (!dropped) {
          dropped = true;
          await subscription.dropChannel();
        }
      },
      { prefetch: 10 },
    );
    try {
      const order = await placeOrder();
      const id = await publishPayment(t, payment(order.id, order.total));
      await waitFor('the redelivery', () => deliveries.filter((d) => d.messageId === id).length >= 2);
      const copies = deliveries.filter((d) => d.messageId === id);
      expect(copies[0]?.redelivered).toBe(false);
      expect(copies[1]?.redelivered).toBe(true);

      await waitFor('the audit entry', async () => (await historyOf(order.id)).length === 2);
      const paid = await loadOrder(order.id);
      expect(paid.status).toBe('PAID');
      expect(paid.version).toBe(2);
      expect(await outboxOf(order.id)).toBe(2);
      expect(await processedCount(id)).toBe(1);
      // The redelivery's handling may still be running when the audit entry lands: wait for its outcome.
      await waitFor(
        'the redelivery to be recognised',
        () => said('duplicate payment message: already applied', id) >= 1,
      );
      expect(said('payment applied', id)).toBe(1);
      expect(said('duplicate payment message: already applied', id)).toBe(1);
    } finally {
      await subscription.cancel();
    }
  });
});

async function processedCount(messageId: string): Promise<number> {
  const [row] = await t.app.orm.em
    .fork()
    .execute<{ n: string }[]>(`select count(*) as n from processed_messages where message_id = ?`, [messageId]);
  return Number(row?.n ?? 0);
}
