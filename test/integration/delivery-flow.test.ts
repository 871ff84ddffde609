// The delivery flow on both brokers, with the retry schedule shortened: a
// poison message reaches its DLQ after the bound while others flow, a
// transient failure is retried past that bound, and transient retries end at
// their budget. On RabbitMQ also: the retry queues as declared, a waiting
// message that outlives its consumer's connection, and how soon a dead
// consumer's unacknowledged messages come back.
import amqp from 'amqplib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broker, Delivery, DeliveryOutcome, Subscription } from '../../src/broker/broker.js';
import { InProcessBus } from '../../src/broker/in-process.js';
import { failuresFromHeaders, RetryHeader } from '../../src/broker/rabbitmq-consumer.js';
import { RabbitMqBroker } from '../../src/broker/rabbitmq.js';
import type { DeadLetterReason, Failures, RetryPolicy } from '../../src/broker/retry.js';
import { deadLetterQueueOf, Exchange, retryQueueOf, type Topology } from '../../src/broker/topology.js';
import { createLogger } from '../../src/logger.js';
import { MalformedMessageError } from '../../src/outbox/envelope.js';
import { createTestVhost, type TestVhost } from '../support/rabbitmq.js';
import { testServices } from '../support/services.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { settle, waitFor } from '../support/wait.js';

const run = promisify(execFile);
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

const QUICK: RetryPolicy = {
  permanent: { tries: 5, delaysMs: [50, 100, 150, 200] },
  transient: { delaysMs: [20, 40], budgetMs: 10_000 },
};

const QUEUES = ['poison', 'transient', 'budget', 'waiting', 'killed', 'partitioned'] as const;
const topology: Topology = {
  exchanges: [Exchange.ORDERS, Exchange.DEAD_LETTERS],
  queues: QUEUES.map((name) => ({ name: `test.${name}`, bindings: [{ exchange: Exchange.ORDERS, routingKey: name }] })),
};

interface DeadLetter {
  messageId: string | undefined;
  reason: DeadLetterReason | undefined;
  lastError: string | undefined;
  failures: Failures;
}

interface Fixture {
  broker: Broker;
  deadLetters(queue: string): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

async function inProcess(): Promise<Fixture> {
  const bus = new InProcessBus(logger);
  await bus.start(topology);
  return {
    broker: bus,
    deadLetters: async (queue) =>
      bus
        .deadLetters(queue)
        .map(({ messageId, reason, lastError, failures }) => ({ messageId, reason, lastError, failures })),
    close: () => bus.close(),
  };
}

let vhost: TestVhost | undefined;
async function rabbitmq(): Promise<Fixture> {
  vhost ??= await createTestVhost();
  const url = vhost.url as string;
  const broker = new RabbitMqBroker(url, logger, { connectionName: 'delivery-flow test' });
  await broker.start(topology);
  await waitFor('the broker connection', () => broker.isConnected(), 10_000);
  return {
    broker,
    deadLetters: (queue) => readDeadLetters(url, queue),
    close: () => broker.close(),
  };
}

/** The messages in `<queue>.dlq` with what their headers say; reading leaves them there. */
async function readDeadLetters(url: string, queue: string): Promise<DeadLetter[]> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    const letters: DeadLetter[] = [];
    for (let msg; (msg = await channel.get(deadLetterQueueOf(queue), { noAck: false }));) {
      const headers = msg.properties.headers as Record<string, unknown> | undefined;
      letters.push({
        messageId: msg.properties.messageId as string | undefined,
        reason: headers?.[RetryHeader.DEAD_LETTER_REASON] as DeadLetterReason | undefined,
        lastError: headers?.[RetryHeader.LAST_ERROR] as string | undefined,
        failures: failuresFromHeaders(headers),
      });
    }
    await channel.close();
    return letters;
  } finally {
    await connection.close();
  }
}

const publish = (broker: Broker, routingKey: string, id: string, body: unknown = { id }) =>
  broker.publish({ exchange: Exchange.ORDERS, routingKey, messageId: id, type: routingKey, body, correlationId: 'c1' });

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

const brokers = [
  { name: 'the in-process bus', make: inProcess },
  ...(testServices.rabbitmqUrl ? [{ name: 'RabbitMQ', make: rabbitmq }] : []),
];

afterAll(async () => {
  await vhost?.drop();
});

describe.each(brokers)('the delivery flow on $name', ({ make }) => {
  let fixture: Fixture;
  const subscriptions: Subscription[] = [];
  const outcomes: { queue: string; outcome: DeliveryOutcome }[] = [];
  const observer = { deliveryFinished: (queue: string, outcome: DeliveryOutcome) => outcomes.push({ queue, outcome }) };
  beforeAll(async () => {
    fixture = await make();
  });
  afterAll(async () => {
    await Promise.all(subscriptions.map((s) => s.cancel()));
    await fixture?.close();
  });
  const outcomesOf = (queue: string, id: string) =>
    outcomes.filter((o) => o.queue === queue && o.outcome.messageId === id).map((o) => o.outcome);

  it('sends a poison message to its DLQ after 5 tries while the messages behind it flow', async () => {
    const queue = 'test.poison';
    const tries: Delivery[] = [];
    subscriptions.push(
      await fixture.broker.consume(
        queue,
        async (delivery) => {
          tries.push(delivery);
          const body = JSON.parse(delivery.content.toString('utf8')) as { poison?: boolean };
          if (body.poison) throw new MalformedMessageError('data.orderId must be a UUID');
        },
        { prefetch: 2, retry: QUICK, observer },
      ),
    );
    await publish(fixture.broker, 'poison', 'bad', { poison: true });
    const good = Array.from({ length: 10 }, (_, i) => `good-${i}`);
    for (const id of good) await publish(fixture.broker, 'poison', id);

    const [letter] = await waitFor('the poison message in the DLQ', async () => {
      const letters = await fixture.deadLetters(queue);
      return letters.length > 0 ? letters : undefined;
    });
    expect(letter).toEqual({
      messageId: 'bad',
      reason: 'poison',
      lastError: expect.stringContaining('MALFORMED_MESSAGE'),
      failures: { transient: 0, permanent: 5 },
    });
    expect(tries.filter((d) => d.messageId === 'bad').map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(tries.filter((d) => d.messageId !== 'bad').map((d) => d.messageId)).toEqual(good);
    // Everything behind it was acknowledged before it was given up on: it blocked nobody.
    const finished = outcomes.filter((o) => o.queue === queue).map((o) => o.outcome);
    const deadAt = finished.findIndex((o) => o.kind === 'dead-lettered');
    const lastGood = finished.findLastIndex((o) => o.kind === 'acked');
    expect(lastGood).toBeLessThan(deadAt);
    expect(outcomesOf(queue, 'bad')).toEqual([
      ...[2, 3, 4, 5].map((nextAttempt) =>
        expect.objectContaining({ kind: 'retry-scheduled', failure: 'permanent', nextAttempt }),
      ),
      expect.objectContaining({ kind: 'dead-lettered', failure: 'permanent', reason: 'poison', attempts: 5 }),
    ]);
    await settle(300);
    expect(await fixture.deadLetters(queue)).toHaveLength(1);
  });

  it('retries a transient failure past the poison bound until it succeeds, and dead-letters nothing', async () => {
    const queue = 'test.transient';
    const attempts: number[] = [];
    subscriptions.push(
      await fixture.broker.consume(
        queue,
        async (delivery) => {
          attempts.push(delivery.attempt);
          if (delivery.attempt <= 8) throw refused();
        },
        { prefetch: 1, retry: QUICK, observer },
      ),
    );
    await publish(fixture.broker, 'transient', 'blip');
    await waitFor('the ack', () => outcomesOf(queue, 'blip').some((o) => o.kind === 'acked'));
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const seen = outcomesOf(queue, 'blip');
    expect(seen.slice(0, 8).every((o) => o.kind === 'retry-scheduled' && o.failure === 'transient')).toBe(true);
    expect(seen[8]).toEqual({ kind: 'acked', messageId: 'blip', attempt: 9 });
    expect(await fixture.deadLetters(queue)).toEqual([]);
  });

  it('dead-letters a message whose transient failures outlast the budget, saying so', async () => {
    const queue = 'test.budget';
    const budget: RetryPolicy = { ...QUICK, transient: { delaysMs: [20, 40], budgetMs: 200 } };
    subscriptions.push(
      await fixture.broker.consume(queue, () => Promise.reject(refused()), { prefetch: 1, retry: budget, observer }),
    );
    await publish(fixture.broker, 'budget', 'outage');
    const [letter] = await waitFor('the message in the DLQ', async () => {
      const letters = await fixture.deadLetters(queue);
      return letters.length > 0 ? letters : undefined;
    });
    expect(letter).toMatchObject({ messageId: 'outage', reason: 'retry-budget-exhausted', failures: { permanent: 0 } });
    const seen = outcomesOf(queue, 'outage');
    const waited = seen.reduce((sum, o) => sum + (o.kind === 'retry-scheduled' ? o.delayMs : 0), 0);
    expect(waited).toBeLessThanOrEqual(200);
    expect(waited + 40).toBeGreaterThan(200);
    expect(seen.at(-1)).toMatchObject({ kind: 'dead-lettered', failure: 'transient' });
    expect(letter?.failures.transient).toBe(seen.length);
  });
});

describe.runIf(testServices.rabbitmqUrl)('RabbitMQ retry queues and dead consumers', () => {
  let fixture: Fixture;
  let url: string;
  beforeAll(async () => {
    fixture = await rabbitmq();
    url = (vhost as TestVhost).url as string;
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('declares one durable retry queue per wait, of the work queue’s type, that dead-letters back to it', async () => {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    const subscription = await fixture.broker.consume('test.waiting', async () => undefined, {
      prefetch: 1,
      retry: QUICK,
    });
    await subscription.cancel();
    const { stdout } = await run('rabbitmqctl', [
      '-q',
      'list_queues',
      '-p',
      name,
      'name',
      'type',
      'durable',
      'arguments',
    ]);
    const rows = new Map(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.trim().split('\t'))
        .map(([queue, type, durable, args]) => [queue, { type, durable, args }]),
    );
    for (const delayMs of [20, 40, 50, 100, 150, 200]) {
      const row = rows.get(retryQueueOf('test.waiting', delayMs));
      expect(row, `retry queue for ${delayMs} ms`).toMatchObject({ type: 'quorum', durable: 'true' });
      expect(row?.args).toContain(`{"x-message-ttl",${delayMs}}`);
      // The default exchange ("", shown by rabbitmqctl as []) routes by queue name.
      expect(row?.args).toContain('{"x-dead-letter-exchange",[]}');
      expect(row?.args).toContain('{"x-dead-letter-routing-key","test.waiting"}');
      expect(row?.args).toContain('{"x-dead-letter-strategy","at-least-once"}');
    }
  });

  it('a message waiting in a retry queue outlives its consumer’s connection and comes back with its counts', async () => {
    const slow: RetryPolicy = { ...QUICK, transient: { delaysMs: [1500], budgetMs: 60_000 } };
    const outcomes: DeliveryOutcome[] = [];
    const first = new RabbitMqBroker(url, logger, { connectionName: 'first consumer' });
    await first.start(topology);
    await first.consume('test.waiting', () => Promise.reject(refused()), {
      prefetch: 1,
      retry: slow,
      observer: { deliveryFinished: (_queue, outcome) => outcomes.push(outcome) },
    });
    await waitFor('the first consumer', () => first.isConnected(), 10_000);
    await publish(fixture.broker, 'waiting', 'patient', { hello: 'again' });
    await waitFor('the retry to be scheduled', () => outcomes.some((o) => o.kind === 'retry-scheduled'));
    // The consumer's process goes away: its connection closes with the message waiting.
    await first.close();

    const connection = await amqp.connect(url);
    try {
      const channel = await connection.createChannel();
      expect((await channel.checkQueue(retryQueueOf('test.waiting', 1500))).messageCount).toBe(1);
      const arrived = await new Promise<amqp.ConsumeMessage>((resolve) => {
        void channel.consume('test.waiting', (msg) => msg && resolve(msg), { noAck: true });
      });
      expect(arrived.properties.messageId).toBe('patient');
      expect(arrived.properties.correlationId).toBe('c1');
      expect(JSON.parse(arrived.content.toString('utf8'))).toEqual({ hello: 'again' });
      const headers = arrived.properties.headers as Record<string, unknown>;
      expect(headers).toMatchObject({
        [RetryHeader.TRANSIENT_FAILURES]: 1,
        [RetryHeader.PERMANENT_FAILURES]: 0,
        [RetryHeader.LAST_FAILURE_KIND]: 'transient',
        [RetryHeader.LAST_ERROR]: expect.stringContaining('ECONNREFUSED'),
      });
    } finally {
      await connection.close();
    }
  });

  /** A consumer through a proxy of the test's own that takes messages and never finishes them. */
  async function stuckConsumer(queue: string, heartbeatSeconds?: number) {
    const proxy = await startTcpProxy(url);
    const viaProxy = new URL(proxy.url);
    if (heartbeatSeconds) viaProxy.searchParams.set('heartbeat', String(heartbeatSeconds));
    const broker = new RabbitMqBroker(viaProxy.toString(), logger, {
      connectionName: 'doomed consumer',
      maxReconnectDelayMs: 200,
    });
    await broker.start(topology);
    await waitFor('the doomed consumer', () => broker.isConnected(), 10_000);
    const held: string[] = [];
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    await broker.consume(
      queue,
      async (delivery) => {
        held.push(delivery.messageId ?? '');
        await finished;
      },
      { prefetch: 10, retry: QUICK },
    );
    return {
      proxy,
      held,
      async dispose() {
        finish();
        await broker.close();
        await proxy.close();
      },
    };
  }

  /** Another consumer of `queue`: what it receives, and when. */
  async function survivor(queue: string) {
    const got: { id: string; redelivered: boolean; at: number }[] = [];
    const subscription = await fixture.broker.consume(
      queue,
      async (delivery) => {
        got.push({ id: delivery.messageId ?? '', redelivered: delivery.redelivered, at: Date.now() });
      },
      { prefetch: 10, retry: QUICK },
    );
    return { got, subscription };
  }

  it('the unacknowledged messages of a killed consumer go to another one as soon as its connection closes', async () => {
    const doomed = await stuckConsumer('test.killed');
    const ids = ['k1', 'k2', 'k3'];
    try {
      for (const id of ids) await publish(fixture.broker, 'killed', id);
      await waitFor('the doomed consumer to hold all three', () => doomed.held.length === 3);
      const other = await survivor('test.killed');
      await settle(200);
      expect(other.got).toEqual([]);
      // A killed process's socket is closed by its kernel: here, by the proxy.
      const killedAt = Date.now();
      doomed.proxy.cut();
      await waitFor('the other consumer to get them', () => other.got.length === 3, 10_000);
      expect(other.got.map((g) => g.id).sort()).toEqual(ids);
      expect(other.got.every((g) => g.redelivered)).toBe(true);
      logger.info({ ms: Math.max(...other.got.map((g) => g.at)) - killedAt }, 'killed consumer: messages back');
      await other.subscription.cancel();
    } finally {
      await doomed.dispose();
    }
  });

  it('those of a consumer cut off without a close come back within about two heartbeats', async () => {
    const doomed = await stuckConsumer('test.partitioned', 1);
    const ids = ['p1', 'p2'];
    try {
      for (const id of ids) await publish(fixture.broker, 'partitioned', id);
      await waitFor('the doomed consumer to hold both', () => doomed.held.length === 2);
      const other = await survivor('test.partitioned');
      doomed.proxy.hold();
      // With a 1 s heartbeat the broker gives up on the silent peer after 2-3 s; the bound here is generous.
      await waitFor('the other consumer to get them', () => other.got.length === 2, 15_000);
      expect(other.got.map((g) => g.id).sort()).toEqual(ids);
      await other.subscription.cancel();
    } finally {
      await doomed.dispose();
    }
  });
});
