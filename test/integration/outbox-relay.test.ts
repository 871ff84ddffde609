// The outbox relay on the real broker: two relays against one outbox publish
// every row once and keep each order's events in order; an unroutable
// message is not marked sent; rows confirmed while the database is away are
// marked as soon as it is back, never published twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exchange, orderServiceTopology } from '../../src/broker/topology.js';
import { UnroutableMessageError, type Broker } from '../../src/broker/broker.js';
import { ENTITIES } from '../../src/bootstrap/entities.js';
import { createOrm } from '../../src/db/orm.js';
import { createLogger } from '../../src/logger.js';
import { Role } from '../../src/auth/role.js';
import { OrderStatus } from '../../src/orders/status-machine.js';
import { OutboxMessage } from '../../src/outbox/outbox.entity.js';
import { OutboxRelay } from '../../src/outbox/relay.js';
import { connectBroker, observeOrderEvents } from '../support/events.js';
import { addProduct, adminClient, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { settle, waitFor } from '../support/wait.js';

let t: TestApp;
beforeAll(async () => {
  // No relay in the app: the tests run their own.
  t = await startTestApp({ RUN_CONSUMERS: 'false' });
});
afterAll(async () => {
  await t?.stop();
});

const meta = { correlationId: 'relay-test' };
const silent = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

describe('two relays against one outbox', () => {
  it('publish every row exactly once, each order’s events in order', async () => {
    const sku = await addProduct(t, { stock: 1000 });
    const customer = await newCustomer(t);
    const admin = await adminClient(t);
    const { placement, moves } = t.app.services;
    const viewer = { userId: customer.id, role: Role.CUSTOMER, expiresAt: Date.now() + 60_000 };
    const adminActor = { kind: 'user' as const, userId: admin.id, role: Role.ADMIN };
    for (let i = 0; i < 24; i++) {
      const order = await placement.placeOrder(
        viewer,
        { items: [{ sku, quantity: 1 }], shippingAddress: `No. ${i}` },
        meta,
      );
      if (i % 2 === 0) {
        await moves.transition(adminActor, order.id, OrderStatus.PAID, {
          reason: null,
          expectedVersion: undefined,
          meta,
        });
        if (i % 4 === 0) {
          await moves.transition(adminActor, order.id, OrderStatus.SHIPPED, {
            reason: null,
            expectedVersion: undefined,
            meta,
          });
        }
      }
    }
    const rows = await t.app.orm.em.fork().find(OutboxMessage, { sentAt: null }, { orderBy: { createdAt: 'asc' } });
    const seqOf = new Map<string, number>();
    const seqRows = await t.app.orm.em.fork().execute<{ id: string; seq: string }[]>(`select id, seq from outbox`);
    for (const row of seqRows) seqOf.set(row.id, Number(row.seq));
    // 24 created, 12 paid, 6 shipped: a move to SHIPPED is one change with two events (shipment, status).
    expect(rows.length).toBe(24 + 12 + 6 * 2);

    const observer = await observeOrderEvents(t);
    const topology = orderServiceTopology({ paymentSimulator: false });
    const brokers = [await connectBroker(t, topology), await connectBroker(t, topology)];
    const published = new Map<string, number>();
    const byRelay = [0, 0];
    const relays = brokers.map((broker, n) => {
      const relay = new OutboxRelay(t.app.orm, broker, silent, { batchSize: 4, pollIntervalMs: 20 });
      relay.onPublished = (row) => {
        published.set(row.id, (published.get(row.id) ?? 0) + 1);
        byRelay[n]!++;
      };
      return relay;
    });
    try {
      for (const relay of relays) relay.start();
      await waitFor(
        'every row sent',
        async () => (await t.app.orm.em.fork().count(OutboxMessage, { sentAt: null })) === 0,
      );
      await waitFor('every event observed', () => observer.received.length >= rows.length);
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
      await Promise.all(brokers.map((b) => b.close()));
      await observer.close();
    }

    // Each row went out once, from one relay or the other; both relays took part.
    expect([...published.values()].every((n) => n === 1)).toBe(true);
    expect(published.size).toBe(rows.length);
    expect(byRelay[0]! + byRelay[1]!).toBe(rows.length);
    expect(byRelay[0]).toBeGreaterThan(0);
    expect(byRelay[1]).toBeGreaterThan(0);

    // The broker saw each once, and each order's events arrived in the order they were written.
    const ids = observer.ids();
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(rows.map((r) => r.id)));
    const arrivals = new Map<string, number[]>();
    for (const delivery of observer.received) {
      const body = JSON.parse(delivery.content.toString('utf8')) as { data: { orderId: string } };
      const list = arrivals.get(body.data.orderId) ?? [];
      list.push(seqOf.get(delivery.messageId ?? '') ?? -1);
      arrivals.set(body.data.orderId, list);
    }
    for (const seqs of arrivals.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    // The headers a consumer relies on.
    const sample = observer.received[0]!;
    expect(sample.correlationId).toBe('relay-test');
    expect(sample.exchange).toBe(Exchange.ORDERS);
  });

  it('an unroutable message is refused and its row stays pending', async () => {
    const broker = await connectBroker(t, orderServiceTopology({ paymentSimulator: false }));
    const id = '6f1c2a9e-3b7d-4c55-9a51-0d2f3e4b5c6d';
    await t.app.orm.em.fork().insert(OutboxMessage, {
      id,
      aggregateId: '6f1c2a9e-3b7d-4c55-9a51-000000000001',
      type: 'nobody.listens',
      envelope: { id, type: 'nobody.listens', occurredAt: new Date().toISOString(), data: {} },
    });
    try {
      await expect(
        broker.publish({
          exchange: Exchange.ORDERS,
          routingKey: 'nobody.listens',
          messageId: id,
          type: 'nobody.listens',
          body: {},
          correlationId: null,
        }),
      ).rejects.toBeInstanceOf(UnroutableMessageError);

      const relay = new OutboxRelay(t.app.orm, broker, silent);
      const round = await relay.relayOnce();
      expect(round).toMatchObject({ claimed: 1, published: 0, failed: 1 });
      const row = await t.app.orm.em.fork().findOneOrFail(OutboxMessage, { id });
      expect(row.sentAt).toBeNull();
      expect(row.lockedUntil).toBeNull();
      expect(row.lastError).toMatch(/UNROUTABLE/);
    } finally {
      await t.app.orm.em.fork().nativeDelete(OutboxMessage, { id });
      await broker.close();
    }
  });
});

describe('a relay whose database goes away between the confirm and the mark', () => {
  it('marks the confirmed rows as soon as the database is back, publishing none of them twice', async () => {
    const sku = await addProduct(t, { stock: 100 });
    const customer = await newCustomer(t);
    const viewer = { userId: customer.id, role: Role.CUSTOMER, expiresAt: Date.now() + 60_000 };
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const order = await t.app.services.placement.placeOrder(
        viewer,
        { items: [{ sku, quantity: 1 }], shippingAddress: `Blip ${i}` },
        meta,
      );
      ids.push(order.id);
    }
    const pendingOf = async () => t.app.orm.em.fork().count(OutboxMessage, { aggregateId: { $in: ids }, sentAt: null });
    expect(await pendingOf()).toBe(6);
    const events = (await t.app.orm.em.fork().find(OutboxMessage, { aggregateId: { $in: ids } })).map((row) => row.id);

    // The relay reaches the database through a proxy of the test's own; the test reads it directly.
    const proxy = await startTcpProxy(t.db.url);
    const orm = await createOrm({ url: proxy.url, poolSize: 2, entities: ENTITIES });
    const real = await connectBroker(t, orderServiceTopology({ paymentSimulator: false }));
    const published = new Map<string, number>();
    // The database goes away the moment the broker confirms the first row of the batch.
    const broker: Broker = {
      kind: real.kind,
      start: (topology) => real.start(topology),
      consume: (queue, handler, options) => real.consume(queue, handler, options),
      close: () => real.close(),
      isConnected: () => real.isConnected(),
      publish: async (message) => {
        await real.publish(message);
        published.set(message.messageId, (published.get(message.messageId) ?? 0) + 1);
        if (published.size === 1) proxy.cut();
      },
    };
    const relay = new OutboxRelay(orm, broker, silent, { pollIntervalMs: 20 });
    try {
      relay.start();
      await waitFor('the batch to be published', () => events.every((id) => published.get(id) === 1));
      // Away for longer than a relay's round: the marks fail and the rows stay pending meanwhile.
      await settle(2500);
      expect(await pendingOf()).toBe(6);
      proxy.restore();
      const back = Date.now();
      await waitFor('the rows marked sent', async () => (await pendingOf()) === 0, 5000);
      silent.info({ ms: Date.now() - back }, 'relay: rows marked after the database returned');
      await settle(300);
    } finally {
      await relay.stop();
      await orm.close(true);
      await real.close();
      await proxy.close();
    }
    expect(events.map((id) => published.get(id))).toEqual([1, 1, 1, 1, 1, 1]);
    const rows = await t.app.orm.em.fork().find(OutboxMessage, { id: { $in: events } });
    expect(rows.every((row) => row.sentAt !== null && row.lockedUntil === null && row.lockedBy === null)).toBe(true);
  });
});
