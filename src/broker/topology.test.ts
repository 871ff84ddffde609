import { describe, expect, it } from 'vitest';
import { deadLetterQueueOf, orderServiceTopology, Queue, topicMatches } from './topology.js';

describe('topic matching', () => {
  it.each([
    ['order.#', 'order.created', true],
    ['order.#', 'order', true],
    ['order.#', 'order.status.changed', true],
    ['order.#', 'payment.processed', false],
    ['order.*', 'order.created', true],
    ['order.*', 'order.a.b', false],
    ['#', 'anything.at.all', true],
    ['payment.processed', 'payment.processed', true],
    ['payment.processed', 'payment.failed', false],
    ['*.created', 'order.created', true],
    ['#.created', 'a.b.created', true],
  ])('%s matches %s: %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});

describe('the topology', () => {
  it('has the queues of the spec, and the simulator queue only where the simulator runs', () => {
    expect(orderServiceTopology({ paymentSimulator: false }).queues.map((q) => q.name)).toEqual([
      Queue.PAYMENT_PROCESSED,
      Queue.AUDIT,
      Queue.NOTIFICATIONS,
    ]);
    expect(orderServiceTopology({ paymentSimulator: true }).queues.map((q) => q.name)).toContain(
      Queue.PAYMENT_SIMULATOR,
    );
    expect(deadLetterQueueOf(Queue.AUDIT)).toBe('orders.audit.dlq');
  });
});
