import { describe, expect, it } from 'vitest';
import { deadLetterQueueOf, orderServiceTopology, Queue, retryQueueOf, topicMatches } from './topology.js';

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
  it('has the queues of the spec, and the simulator queues only where the simulators run', () => {
    expect(orderServiceTopology({ paymentSimulator: false }).queues.map((q) => q.name)).toEqual([
      Queue.PAYMENT_PROCESSED,
      Queue.AUDIT,
      Queue.NOTIFICATIONS,
      Queue.SHIPPING,
    ]);
    expect(orderServiceTopology({ paymentSimulator: true }).queues.map((q) => q.name)).toContain(
      Queue.PAYMENT_SIMULATOR,
    );
    expect(
      orderServiceTopology({ paymentSimulator: false, shippingSimulator: true }).queues.map((q) => q.name),
    ).toEqual([Queue.PAYMENT_PROCESSED, Queue.AUDIT, Queue.NOTIFICATIONS, Queue.SHIPPING, Queue.SHIPPING_SIMULATOR]);
    expect(orderServiceTopology({ paymentSimulator: false }).exchanges).toContain('shipping');
    expect(deadLetterQueueOf(Queue.AUDIT)).toBe('orders.audit.dlq');
  });
});

describe('retry queue names', () => {
  it('name the wait in the largest whole unit, so an operator reads them at a glance', () => {
    expect(retryQueueOf(Queue.AUDIT, 1000)).toBe('orders.audit.retry.1s');
    expect(retryQueueOf(Queue.AUDIT, 30_000)).toBe('orders.audit.retry.30s');
    expect(retryQueueOf(Queue.AUDIT, 60_000)).toBe('orders.audit.retry.1m');
    expect(retryQueueOf(Queue.AUDIT, 90_000)).toBe('orders.audit.retry.90s');
    expect(retryQueueOf(Queue.AUDIT, 250)).toBe('orders.audit.retry.250ms');
  });

  it('differ for every wait', () => {
    const waits = [1, 999, 1000, 1001, 59_000, 60_000, 61_000, 120_000];
    expect(new Set(waits.map((w) => retryQueueOf('q', w))).size).toBe(waits.length);
  });
});
