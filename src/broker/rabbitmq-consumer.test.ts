// The try counts a RabbitMQ message carries between tries (docs/events.md).
import { describe, expect, it } from 'vitest';
import { failuresFromHeaders, headersAfterFailure, RetryHeader } from './rabbitmq-consumer.js';

describe('try counts in headers', () => {
  it('a message without them has not failed yet', () => {
    expect(failuresFromHeaders(undefined)).toEqual({ transient: 0, permanent: 0 });
    expect(failuresFromHeaders({ 'x-correlation-id': 'r1' })).toEqual({ transient: 0, permanent: 0 });
  });

  it('reads both counts and ignores nonsense in them', () => {
    expect(failuresFromHeaders({ 'x-transient-failures': 12, 'x-permanent-failures': 2 })).toEqual({
      transient: 12,
      permanent: 2,
    });
    expect(failuresFromHeaders({ 'x-transient-failures': 'x', 'x-permanent-failures': -3 })).toEqual({
      transient: 0,
      permanent: 0,
    });
    expect(failuresFromHeaders({ 'x-transient-failures': 1e15 }).transient).toBeLessThanOrEqual(1_000_000);
  });

  it('counts deliveries a quorum queue took back unsettled (x-delivery-count) as permanent failures', () => {
    expect(failuresFromHeaders({ 'x-delivery-count': 2 })).toEqual({ transient: 0, permanent: 2 });
    expect(failuresFromHeaders({ 'x-permanent-failures': 1, 'x-delivery-count': 1 })).toEqual({
      transient: 0,
      permanent: 2,
    });
  });

  it('reads the single count written before there were two (x-attempt: the next try) as permanent failures', () => {
    expect(failuresFromHeaders({ 'x-attempt': 3 })).toEqual({ transient: 0, permanent: 2 });
  });

  it('a copy carries the new counts and the last error, and drops what described its previous trip', () => {
    const before = {
      'x-correlation-id': 'r1',
      'x-attempt': 2,
      'x-delivery-count': 1,
      'x-death': [{ queue: 'orders.audit.retry.1s', reason: 'expired', count: 1 }],
      'x-first-death-queue': 'orders.audit.retry.1s',
      'x-first-death-reason': 'expired',
      'x-first-death-exchange': '',
    };
    const record = { kind: 'transient' as const, failures: { transient: 3, permanent: 2 }, error: 'ECONNREFUSED: x' };
    const after = headersAfterFailure(before, record);
    expect(after).toEqual({
      'x-correlation-id': 'r1',
      [RetryHeader.TRANSIENT_FAILURES]: 3,
      [RetryHeader.PERMANENT_FAILURES]: 2,
      [RetryHeader.LAST_ERROR]: 'ECONNREFUSED: x',
      [RetryHeader.LAST_FAILURE_KIND]: 'transient',
    });
    // Read back, the copy has exactly the failures the record counted (the delivery count is in them already).
    expect(failuresFromHeaders(after)).toEqual(record.failures);
    expect(headersAfterFailure(before, record, 'poison')[RetryHeader.DEAD_LETTER_REASON]).toBe('poison');
  });
});
