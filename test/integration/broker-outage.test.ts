// RabbitMQ going away and coming back, through a TCP proxy the test owns
// (the shared broker is never touched): orders keep succeeding while it is
// unreachable, and every pending event goes out once it returns, with no
// restart and none twice. Also: the topology as declared on the broker,
// with the retry queues of each consumer.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, retryDelaysOf } from '../../src/broker/retry.js';
import { Queue, retryQueueOf } from '../../src/broker/topology.js';
import { OrderHistory } from '../../src/orders/order-history.entity.js';
import { OutboxMessage } from '../../src/outbox/outbox.entity.js';
import { CancelOrderDocument, CreateOrderDocument } from '../generated/graphql.js';
import { observeOrderEvents, type Observer } from '../support/events.js';
import { addProduct, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { TcpProxy } from '../support/rabbitmq.js';
import { testServices } from '../support/services.js';
import { settle, waitFor } from '../support/wait.js';

const run = promisify(execFile);

describe.runIf(testServices.rabbitmqUrl)('RabbitMQ unreachable, then back', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let observer: Observer;
  beforeAll(async () => {
    const target = new URL(testServices.rabbitmqUrl as string);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5672));
    await proxy.start();
    t = await startTestApp({}, { rabbitmqPort: proxy.port });
    // The observer connects directly, not through the proxy.
    observer = await observeOrderEvents(t);
  });
  afterAll(async () => {
    await observer?.close();
    await t?.stop();
    await proxy?.stop();
  });

  const pending = () => t.app.orm.em.fork().count(OutboxMessage, { sentAt: null });

  it('declares the topology with quorum queues, their dead-letter queues and their retry queues', async () => {
    const vhost = decodeURIComponent(new URL(t.vhost.url as string).pathname.slice(1));
    const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', '-p', vhost, 'name', 'type', 'durable']);
    const queues = new Map(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .map(([name, type, durable]) => [name, { type, durable }]),
    );
    for (const name of [Queue.PAYMENT_PROCESSED, Queue.AUDIT]) {
      expect(queues.get(name)).toEqual({ type: 'quorum', durable: 'true' });
      expect(queues.get(`${name}.dlq`)).toEqual({ type: 'quorum', durable: 'true' });
      // One per wait of the consumers' retry schedule: 1 s up to a minute.
      for (const delayMs of retryDelaysOf(DEFAULT_RETRY_POLICY)) {
        expect(queues.get(retryQueueOf(name, delayMs)), `${name} retry after ${delayMs} ms`).toEqual({
          type: 'quorum',
          durable: 'true',
        });
      }
    }
    expect(queues.get(`${Queue.AUDIT}.retry.1m`)).toBeDefined();
    const { stdout: bindings } = await run('rabbitmqctl', [
      '-q',
      'list_bindings',
      '-p',
      vhost,
      'source_name',
      'destination_name',
      'routing_key',
    ]);
    const rows = bindings.split('\n').map((line) => line.trim().split(/\s+/).join(' '));
    expect(rows).toContain('payments orders.payment-processed payment.processed');
    expect(rows).toContain('orders orders.audit order.#');
    expect(rows).toContain('orders.dlx orders.audit.dlq orders.audit');
    expect(rows).toContain('orders.dlx orders.payment-processed.dlq orders.payment-processed');
  });

  it('orders succeed while it is down; every event arrives once it is back, none twice', async () => {
    const sku = await addProduct(t, { stock: 100 });
    const customer = await newCustomer(t);
    const place = (i: number) =>
      customer.client.ok(CreateOrderDocument, {
        input: { items: [{ sku, quantity: 1 }], shippingAddress: `Outage ${i}` },
      });

    const before = await place(0);
    await waitFor('the first order’s event through the proxy', () => observer.received.length >= 1);
    // The row is marked sent once the broker's confirm is back, which may come just after delivery.
    await waitFor('the first row marked sent', async () => (await pending()) === 0);

    await proxy.cut();
    await waitFor('the app to notice', () => !t.app.broker.isConnected(), 10_000);
    const placed = [];
    for (let i = 1; i <= 5; i++) placed.push((await place(i)).createOrder);
    for (const order of placed.slice(0, 2)) {
      await customer.client.ok(CancelOrderDocument, { input: { orderId: order.id, reason: 'changed my mind' } });
    }
    await settle(500);
    expect(await pending()).toBe(7);
    expect(observer.received).toHaveLength(1);

    await proxy.restore();
    await waitFor('the pending events to arrive', () => observer.received.length >= 8, 30_000);
    await waitFor('the outbox to drain', async () => (await pending()) === 0);
    // The audit consumer reconnected too: one history row per event.
    const orderIds = [before.createOrder.id, ...placed.map((o) => o.id)];
    await waitFor(
      'the audit trail',
      async () => (await t.app.orm.em.fork().count(OrderHistory, { orderId: { $in: orderIds } })) === 8,
    );
    await settle(300);

    const ids = observer.ids();
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(8);
    const events = observer.received.map(
      (d) => JSON.parse(d.content.toString('utf8')) as { type: string; data: { orderId: string } },
    );
    for (const order of placed.slice(0, 2)) {
      expect(events.filter((e) => e.data.orderId === order.id).map((e) => e.type)).toEqual([
        'order.created',
        'order.cancelled',
      ]);
    }
  });
});
