// A real streaming replica behind DATABASE_READ_URLS: lists are read from it,
// a caller always reads what they just wrote (replay paused, they still see
// it while another reader sees the replica's older state), when the replica
// dies reads go to the primary and /readyz says degraded, and a consumers
// process with the same settings watches the replica and pays an order that only
// the primary has.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateOrderDocument, OrdersDocument, UpdateOrderStatusDocument } from '../generated/graphql.js';
import { startConsumersProcess } from '../support/compiled.js';
import { addProduct, adminClient, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { startReplicatedPostgres, type ReplicatedPostgres } from '../support/replicated-postgres.js';
import { testServices } from '../support/services.js';
import { waitFor } from '../support/wait.js';

let cluster: ReplicatedPostgres;
let t: TestApp;

beforeAll(async () => {
  // No skip: a machine that runs these tests has the PostgreSQL binaries (CI fails without them).
  cluster = await startReplicatedPostgres();
  t = await startTestApp(
    { DATABASE_READ_URLS: cluster.replicaUrl, RUN_CONSUMERS: 'false' },
    { databaseUrl: () => Promise.resolve(cluster.primaryUrl) },
  );
});
afterAll(async () => {
  await t?.stop();
  await cluster?.stop();
});

async function readiness() {
  const response = await fetch(new URL('/readyz', t.app.url));
  return {
    status: response.status,
    body: (await response.json()) as { status: string; checks?: Record<string, string>; degraded?: string[] },
  };
}

function idsOf(page: { orders: { edges: { node: { id: string; status: string } }[] } }) {
  return page.orders.edges.map((edge) => edge.node.id);
}

describe('read replica', () => {
  it('serves lists from the replica, and every caller reads their own writes while replay is paused', async () => {
    const sku = await addProduct(t, { stock: 10 });
    const customer = await newCustomer(t);
    const admin = await adminClient(t);
    const { createOrder: first } = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 1 }], shippingAddress: '1 Replica Road' },
    });
    await cluster.caughtUp();
    await waitFor('the admin to read from the replica again', async () =>
      idsOf(await admin.client.ok(OrdersDocument, { first: 50 })).includes(first.id),
    );

    await cluster.query('replica', 'select pg_wal_replay_pause()');
    const { createOrder: second } = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 2 }], shippingAddress: '2 Replica Road' },
    });
    // The replica lacks the order: a row only the primary has.
    const onReplica = await cluster.query<{ n: string }>(
      'replica',
      `select count(*) as n from orders where id = '${second.id}'`,
    );
    expect(onReplica[0]?.n).toBe('0');

    // The writer sees it at once...
    expect(idsOf(await customer.client.ok(OrdersDocument, { first: 50 }))).toEqual([second.id, first.id]);
    // ...while another reader is served by the paused replica, which does not have it yet.
    const stale = await admin.client.ok(OrdersDocument, { first: 50 });
    expect(idsOf(stale)).toContain(first.id);
    expect(idsOf(stale)).not.toContain(second.id);

    // A move: its maker reads it back at once, replay still paused.
    await admin.client.ok(UpdateOrderStatusDocument, { input: { orderId: first.id, status: 'PAID' } });
    const afterMove = await admin.client.ok(OrdersDocument, { first: 50 });
    expect(afterMove.orders.edges.find((e) => e.node.id === first.id)?.node.status).toBe('PAID');
    expect(idsOf(afterMove)).toContain(second.id);

    await cluster.query('replica', 'select pg_wal_replay_resume()');
    await cluster.caughtUp();
    expect(await readiness()).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('sends reads to the primary when the replica dies, and says degraded on /readyz', async () => {
    const sku = await addProduct(t, { stock: 10 });
    const customer = await newCustomer(t);
    const admin = await adminClient(t);
    await cluster.killReplica();
    const { createOrder } = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 1 }], shippingAddress: '3 Replica Road' },
    });
    // The admin has written nothing: without the replica their list comes from the primary, complete.
    expect(idsOf(await admin.client.ok(OrdersDocument, { first: 50 }))).toContain(createOrder.id);
    expect(idsOf(await customer.client.ok(OrdersDocument, { first: 50 }))).toEqual([createOrder.id]);
    const degraded = await readiness();
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.degraded).toEqual(['read replicas']);

    await cluster.startReplica();
    await waitFor(
      '/readyz to say ready with the replica back',
      async () => (await readiness()).body.status === 'ready',
    );
  });

  // A process of its own needs a real broker to hear the order's events.
  it.runIf(testServices.rabbitmqUrl)(
    'a consumers process with the same settings watches the replica, and pays an order only the primary has',
    async () => {
      const sku = await addProduct(t, { stock: 10 });
      const customer = await newCustomer(t);
      let consumers: ChildProcess | undefined;
      try {
        consumers = await startConsumersProcess({
          ...t.env,
          NODE_ENV: 'test',
          LOG_LEVEL: 'info',
          DATABASE_URL: cluster.primaryUrl,
          DATABASE_READ_URLS: cluster.replicaUrl,
          // Names its connections (pg reads PGAPPNAME), so the replica can tell them from the API's.
          PGAPPNAME: 'consumers-under-test',
          MIGRATE_ON_START: 'false',
          PAYMENT_SIMULATOR: 'true',
          PAYMENT_SIMULATOR_DELAY: '0s',
        });
        // The process watches the replica as the API does (its lag, for routing reads).
        await waitFor('the consumers process to connect to the replica', async () => {
          const rows = await cluster.query<{ n: string }>(
            'replica',
            `select count(*) as n from pg_stat_activity where application_name = 'consumers-under-test'`,
          );
          return Number(rows[0]?.n) > 0;
        });

        await cluster.caughtUp();
        await cluster.query('replica', 'select pg_wal_replay_pause()');
        const { createOrder } = await customer.client.ok(CreateOrderDocument, {
          input: { items: [{ sku, quantity: 1 }], shippingAddress: '4 Replica Road' },
        });
        // Relayed, paid by the simulator and the payment applied, all by that process, replay still paused.
        await waitFor('the consumers process to pay the order', async () => {
          const rows = await cluster.query<{ status: string }>(
            'primary',
            `select status from orders where id = '${createOrder.id}'`,
          );
          return rows[0]?.status === 'PAID';
        });
        const onReplica = await cluster.query<{ n: string }>(
          'replica',
          `select count(*) as n from orders where id = '${createOrder.id}'`,
        );
        expect(onReplica[0]?.n).toBe('0');
      } finally {
        await cluster.query('replica', 'select pg_wal_replay_resume()');
        if (consumers && consumers.exitCode === null) {
          const exited = new Promise((resolve) => consumers?.once('exit', resolve));
          consumers.kill('SIGTERM');
          await exited;
        }
      }
    },
  );
});
