// PostgreSQL away for about 5 s while payments flow, through a TCP proxy the
// test owns between the service's ORM and the database (the shared server is
// never touched). A database that is briefly away is not a poison message:
// afterwards every order is PAID, no queue's DLQ holds anything, the metrics
// counted the failures as transient, and the outbox and audit trail catch up.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/broker/topology.js';
import { CreateOrderDocument } from '../generated/graphql.js';
import { deadLetterIds, publishPayment } from '../support/events.js';
import { addProduct, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { testServices } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { settle, waitFor } from '../support/wait.js';

const OUTAGE_MS = 5000;

// A real PostgreSQL only: the embedded PGlite lives inside the process, with no network to lose.
describe.runIf(testServices.databaseUrl)('PostgreSQL away for 5 s while payments arrive', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  /** The test's own connection, straight to the database. */
  let direct: pg.Client;
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
    direct = new pg.Client({ connectionString: t.db.url });
    await direct.connect();
  });
  afterAll(async () => {
    await direct?.end();
    proxy?.restore();
    await t?.stop();
    await proxy?.close();
  });

  const statuses = async (ids: string[]) => {
    const { rows } = await direct.query<{ id: string; status: string }>(
      'select id, status from orders where id = any($1)',
      [ids],
    );
    return rows;
  };
  /** The sum of every series whose line starts with `line`. */
  const metric = async (line: string) => {
    const text = await t.app.metrics.render();
    return text
      .split('\n')
      .filter((l) => l.startsWith(line))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  };

  it('every payment is applied once it is back; nothing is dead-lettered; the failures count as transient', async () => {
    const sku = await addProduct(t, { stock: 100, priceMinor: 1250 });
    const customer = await newCustomer(t);
    const orders: string[] = [];
    for (let i = 0; i < 12; i++) {
      const { createOrder } = await customer.client.ok(CreateOrderDocument, {
        input: { items: [{ sku, quantity: 1 }], shippingAddress: `${i} Outage Road` },
      });
      orders.push(createOrder.id);
    }
    const pay = (orderId: string) =>
      publishPayment(t, {
        orderId,
        paymentId: `pay_${orderId.slice(0, 8)}`,
        status: 'SUCCEEDED',
        amount: { minorUnits: 1250, currencyCode: 'EUR' },
      });

    for (const id of orders.slice(0, 3)) await pay(id);
    await waitFor('the first payments', async () =>
      (await statuses(orders.slice(0, 3))).every((o) => o.status === 'PAID'),
    );

    proxy.cut();
    const cutAt = Date.now();
    // Payments keep arriving while the database is away, spread over the outage; the cut may also meet
    // a transaction of the consumers or the relay mid-flight (test/integration/database-cut-mid-transaction.test.ts).
    for (const id of orders.slice(3, 9)) {
      await settle(300);
      await pay(id);
      await settle(300);
    }
    await settle(Math.max(0, OUTAGE_MS - (Date.now() - cutAt)));
    proxy.restore();
    for (const id of orders.slice(9)) await pay(id);

    await waitFor(
      'every order PAID',
      async () => (await statuses(orders)).filter((o) => o.status === 'PAID').length === orders.length,
      40_000,
    );
    // The audit trail caught up too: created and paid, for each order.
    await waitFor(
      'the audit trail',
      async () =>
        Number(
          (
            await direct.query<{ n: string }>('select count(*) as n from order_history where order_id = any($1)', [
              orders,
            ])
          ).rows[0]?.n,
        ) ===
        2 * orders.length,
      40_000,
    );
    await waitFor(
      'the outbox to drain',
      async () =>
        Number(
          (await direct.query<{ n: string }>('select count(*) as n from outbox where sent_at is null')).rows[0]?.n,
        ) === 0,
    );

    for (const queue of [Queue.PAYMENT_PROCESSED, Queue.AUDIT]) {
      expect(await deadLetterIds(t, queue), `${queue}.dlq`).toEqual([]);
    }
    expect(await metric('messages_retried_total{queue="orders.payment-processed",kind="transient"}')).toBeGreaterThan(
      0,
    );
    expect(await metric('messages_retried_total{queue="orders.payment-processed",kind="permanent"}')).toBe(0);
    expect(await metric('messages_dead_lettered_total')).toBe(0);
    expect(await metric('messages_consumed_total{queue="orders.payment-processed"}')).toBe(orders.length);
  }, 120_000);
});
