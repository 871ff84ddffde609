import { describe, expect, it } from 'vitest';
import { currentCorrelationId } from '../observability/request-scope.js';
import type { Delivery } from './broker.js';
import { observed } from './observed.js';
import { MAX_DELIVERY_ATTEMPTS } from './retry.js';

function delivery(attempt: number): Delivery {
  return {
    queue: 'orders.audit',
    exchange: 'orders',
    routingKey: 'order.created',
    messageId: 'message-1',
    correlationId: 'request-42',
    content: Buffer.from('{}'),
    attempt,
    redelivered: false,
  };
}

function counter() {
  const seen: string[] = [];
  return {
    seen,
    messageConsumed: (q: string) => seen.push(`consumed:${q}`),
    messageRetried: (q: string) => seen.push(`retried:${q}`),
    messageDeadLettered: (q: string) => seen.push(`dead-lettered:${q}`),
  };
}

describe('observed consumer handlers', () => {
  it('runs the handler under the message’s correlation id and counts it consumed', async () => {
    const observer = counter();
    let seenId: string | undefined;
    await observed(
      'orders.audit',
      async () => {
        seenId = currentCorrelationId();
      },
      observer,
    )(delivery(1));
    expect(seenId).toBe('request-42');
    expect(observer.seen).toEqual(['consumed:orders.audit']);
  });

  it('counts a failure as retried before the last try and dead-lettered on it, and rethrows', async () => {
    const observer = counter();
    const failing = observed('orders.audit', () => Promise.reject(new Error('boom')), observer);
    await expect(failing(delivery(1))).rejects.toThrow('boom');
    await expect(failing(delivery(MAX_DELIVERY_ATTEMPTS))).rejects.toThrow('boom');
    expect(observer.seen).toEqual(['retried:orders.audit', 'dead-lettered:orders.audit']);
  });
});
