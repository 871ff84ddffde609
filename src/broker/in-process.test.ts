// The in-process bus keeps RabbitMQ's semantics that this service relies on.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { UnroutableMessageError, type Delivery } from './broker.js';
import { InProcessBus } from './in-process.js';
import { MAX_DELIVERY_ATTEMPTS } from './retry.js';

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

  it('retries a failing message up to the bound, then keeps it in the DLQ, while others flow', async () => {
    const bus = new InProcessBus(createLogger('silent'));
    await bus.start(topology);
    const seen: Delivery[] = [];
    await bus.consume(
      'work',
      async (delivery) => {
        seen.push(delivery);
        if (delivery.messageId === 'poison') throw new Error('cannot apply');
      },
      { prefetch: 5 },
    );
    await bus.publish(message('poison'));
    await bus.publish(message('good'));
    await until(() => bus.deadLetters('work').length === 1);
    expect(seen.filter((d) => d.messageId === 'poison').map((d) => d.attempt)).toEqual(
      Array.from({ length: MAX_DELIVERY_ATTEMPTS }, (_, i) => i + 1),
    );
    expect(seen.filter((d) => d.messageId === 'good')).toHaveLength(1);
    expect(bus.deadLetters('work')[0]?.messageId).toBe('poison');
    await bus.close();
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
