// A consumers process killed with SIGKILL in the middle of a relay round (its
// publishes hanging on a broker that stopped answering): the rows it had
// claimed are published by another relay within a few seconds, because its
// short lease is no longer renewed. Nothing waits out a 30 s lease.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { orderServiceTopology } from '../../src/broker/topology.js';
import { createLogger } from '../../src/logger.js';
import { Role } from '../../src/auth/role.js';
import { OutboxRelay } from '../../src/outbox/relay.js';
import { startConsumersProcess } from '../support/compiled.js';
import { databaseSettings } from '../support/database.js';
import { connectBroker } from '../support/events.js';
import { addProduct, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { testServices } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

describe.runIf(testServices.rabbitmqUrl && testServices.databaseUrl)('a relay killed mid-round', () => {
  let t: TestApp;
  let rabbit: TcpProxy | undefined;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    // No relay in the app: the consumers process relays, then the test's own relay.
    t = await startTestApp({ RUN_CONSUMERS: 'false' });
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rabbit?.close();
    await t?.stop();
  });

  it('leaves its claimed rows to another relay within a few seconds, each published once by it', async () => {
    rabbit = await startTcpProxy(t.vhost.url as string);
    child = await startConsumersProcess({
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: t.db.url,
      ...databaseSettings(t.db),
      RABBITMQ_URL: rabbit.url,
      MIGRATE_ON_START: 'false',
      PAYMENT_SIMULATOR: 'false',
    });
    // RabbitMQ stops answering the process (its connection stays open): its publishes wait for confirms.
    rabbit.hold();

    const sku = await addProduct(t, { stock: 100 });
    const customer = await newCustomer(t);
    const viewer = { userId: customer.id, role: Role.CUSTOMER, expiresAt: Date.now() + 60_000 };
    const orders: string[] = [];
    for (let i = 0; i < 5; i++) {
      const order = await t.app.services.placement.placeOrder(
        viewer,
        { items: [{ sku, quantity: 1 }], shippingAddress: `Crash ${i}` },
        { correlationId: 'killed-relay' },
      );
      orders.push(order.id);
    }
    const rowsWhere = async (condition: string) =>
      Number(
        (
          await t.app.orm.em
            .fork()
            .execute<{ n: string }[]>(
              `select count(*) as n from outbox where aggregate_id in (${orders.map(() => '?').join(', ')}) and ${condition}`,
              orders,
            )
        )[0]?.n,
      );
    await waitFor(
      'the consumers process to claim every row',
      async () => (await rowsWhere('sent_at is null and locked_by is not null and locked_until > now()')) === 5,
    );

    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));
    const killedAt = Date.now();
    expect(await rowsWhere('sent_at is null')).toBe(5);

    const real = await connectBroker(t, orderServiceTopology({ paymentSimulator: false }));
    const published = new Map<string, number>();
    const counting: Broker = {
      kind: real.kind,
      start: (topology) => real.start(topology),
      consume: (queue, handler, options) => real.consume(queue, handler, options),
      close: () => real.close(),
      isConnected: () => real.isConnected(),
      publish: async (message) => {
        await real.publish(message);
        published.set(message.messageId, (published.get(message.messageId) ?? 0) + 1);
      },
    };
    const relay = new OutboxRelay(t.app.orm, counting, logger, { pollIntervalMs: 100 });
    try {
      relay.start();
      // The killed relay's lease (5 s, renewed every ~1.7 s while it lived) runs out: well inside this bound.
      await waitFor(
        'another relay to publish the rows',
        async () => (await rowsWhere('sent_at is null')) === 0,
        12_000,
      );
      logger.info({ ms: Date.now() - killedAt }, 'killed relay: rows published by another relay');
    } finally {
      await relay.stop();
      await real.close();
    }
    expect([...published.values()]).toEqual([1, 1, 1, 1, 1]);
  });
});
