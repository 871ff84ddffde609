// The in-process bus keeps RabbitMQ's semantics that this service relies on.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { UnroutableMessageError, type Delivery } from './broker.js';
import { InProcessBus } from './in-process.js';
import type { RetryPolicy } from './retry.js';

const QUICK: RetryPolicy = {
  permanent: { tries: 5, delaysMs: [5, 10, 15, 20] },
  transient: { delaysMs: [5, 10], budgetMs: 60_000 },
};

const topology = {
  exchanges: ['orders', 'orders.dlx'],
  queues: [{ name: 'work', bindings: [{ exchange: 'orders', routingKey: 'order.#' }] }],
};
const message = (id: string, body: unknown = { id }) => ({
  exchange: 'orders',
  routingKey: 'order.created',
  messageId: id,
  type: 'order.created',
  body,
  correlationId: 'req-1',
});

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the in-process bus', () => {
  it('refuses a message no queue is bound for, as mandatory publishing does', async () => {
    const bus = new InProcessBus(createLogger('silent'));
    await bus.start(topology);
    await expect(bus.publish({ ...message('m1'), routingKey: 'payment.processed' })).rejects.toBeInstanceOf(
      UnroutableMessageError,
    );
  });

  it('a retry waits on a timer without holding a prefetch slot: the next message goes first', async () => {
    const bus = new InProcessBus(createLogger('silent'));
    await bus.start(topology);
    const order: string[] = [];
    await bus.consume(
      'work',
      async (delivery) => {
        order.push(`${delivery.messageId}#${delivery.attempt}`);
        if (delivery.messageId === 'flaky' && delivery.attempt === 1) throw new Error('cannot apply yet');
      },
      { prefetch: 1, retry: { ...QUICK, permanent: { tries: 5, delaysMs: [200, 200, 200, 200] } } },
    );
    await bus.publish(message('flaky'));
    await bus.publish(message('next'));
    await until(() => order.length === 3);
    expect(order).toEqual(['flaky#1', 'next#1', 'flaky#2']);
    await bus.close();
  });

  it('drops waiting retries on close', async () => {
    const bus = new InProcessBus(createLogger('silent'));
    await bus.start(topology);
    let calls = 0;
    await bus.consume(
      'work',
      async () => {
        calls++;
        throw new Error('cannot apply');
      },
      { prefetch: 1, retry: { ...QUICK, permanent: { tries: 5, delaysMs: [50, 50, 50, 50] } } },
    );
    await bus.publish(message('m1'));
    await until(() => calls === 1);
    await bus.close();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(calls).toBe(1);
  });

  it('gives a message back, marked redelivered, when the channel is dropped before the ack', async () => {
    const bus = new InProcessBus(createLogger('silent'));
    await bus.start(topology);
    const seen: Delivery[] = [];
    const subscription = await bus.consume(
      'work',
      async (delivery) => {
        seen.push(delivery);
        if (seen.length === 1) await subscription.dropChannel();
      },
      { prefetch: 1 },
    );
    await bus.publish(message('m1'));
    await until(() => seen.length === 2);
    expect(seen.map((d) => [d.messageId, d.redelivered])).toEqual([
      ['m1', false],
      ['m1', true],
    ]);
    expect(seen[0]?.correlationId).toBe('req-1');
    await bus.close();
  });

  it('holds no more unacknowledged messages than the prefetch', async () => {
    const bus = new InProcessBus(createLogger('silent'));
    await bus.start(topology);
    let inHand = 0;
    let most = 0;
    let done = 0;
    await bus.consume(
      'work',
      async () => {
        inHand++;
        most = Math.max(most, inHand);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inHand--;
        done++;
      },
      { prefetch: 3 },
    );
    for (let i = 0; i < 20; i++) await bus.publish(message(`m${i}`));
    await until(() => done === 20);
    expect(most).toBe(3);
    await bus.close();
  });
});
