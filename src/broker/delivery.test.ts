// The delivery flow both brokers share, driven through a mover that records
// what the broker is asked to do with the bytes.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { currentCorrelationId } from '../observability/request-scope.js';
import type { Delivery, DeliveryOutcome, MessageHandler } from './broker.js';
import { DeliveryFlow, type FailureRecord, type MessageMover, type ReceivedMessage } from './delivery.js';
import type { DeadLetterReason, Failures, RetryPolicy } from './retry.js';

const POLICY: RetryPolicy = {
  permanent: { tries: 3, delaysMs: [100, 200] },
  transient: { delaysMs: [10, 20, 40], budgetMs: 1000 },
};

function received(failures: Failures = { transient: 0, permanent: 0 }): ReceivedMessage {
  return {
    delivery: {
      queue: 'orders.audit',
      exchange: 'orders',
      routingKey: 'order.created',
      messageId: 'message-1',
      correlationId: 'request-42',
      content: Buffer.from('{}'),
      redelivered: false,
    },
    failures,
  };
}

type Move =
  | { kind: 'ack' }
  | { kind: 'retry'; delayMs: number; record: FailureRecord }
  | { kind: 'dead-letter'; reason: DeadLetterReason; record: FailureRecord }
  | { kind: 'give-back' };

function recordingMover(failing: Partial<Record<'ack' | 'retry' | 'dead-letter', Error>> = {}) {
  const moves: Move[] = [];
  const mover: MessageMover = {
    ack: async () => {
      if (failing.ack) throw failing.ack;
      moves.push({ kind: 'ack' });
    },
    retryLater: async (delayMs, record) => {
      if (failing.retry) throw failing.retry;
      moves.push({ kind: 'retry', delayMs, record });
    },
    deadLetter: async (reason, record) => {
      if (failing['dead-letter']) throw failing['dead-letter'];
      moves.push({ kind: 'dead-letter', reason, record });
    },
    giveBack: async () => {
      moves.push({ kind: 'give-back' });
    },
  };
  return { mover, moves };
}

function flowWith(handler: MessageHandler) {
  const reported: DeliveryOutcome[] = [];
  const flow = new DeliveryFlow('orders.audit', handler, {
    retry: POLICY,
    observer: {
      deliveryFinished: (queue, outcome) => {
        expect(queue).toBe('orders.audit');
        reported.push(outcome);
      },
    },
    logger: createLogger('silent'),
  });
  return { flow, reported };
}

const transientError = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

describe('the delivery flow', () => {
  it('runs the handler under the message’s correlation id as try 1, acks, and reports it acked', async () => {
    let seen: { correlationId: string | undefined; delivery: Delivery } | undefined;
    const { flow, reported } = flowWith(async (delivery) => {
      seen = { correlationId: currentCorrelationId(), delivery };
    });
    const { mover, moves } = recordingMover();
    const outcome = await flow.run(received(), mover);
    expect(seen?.correlationId).toBe('request-42');
    expect(seen?.delivery.attempt).toBe(1);
    expect(moves).toEqual([{ kind: 'ack' }]);
    expect(outcome).toEqual({ kind: 'acked', messageId: 'message-1', attempt: 1 });
    expect(reported).toEqual([outcome]);
  });

  it('counts earlier failures of both kinds in the try number the handler sees', async () => {
    let attempt = 0;
    const { flow } = flowWith(async (delivery) => {
      attempt = delivery.attempt;
    });
    await flow.run(received({ transient: 7, permanent: 2 }), recordingMover().mover);
    expect(attempt).toBe(10);
  });

  it('schedules a transient failure for later with the transient count raised, and reports its kind', async () => {
    const { flow, reported } = flowWith(() => Promise.reject(transientError()));
    const { mover, moves } = recordingMover();
    const outcome = await flow.run(received({ transient: 1, permanent: 2 }), mover);
    expect(moves).toEqual([
      {
        kind: 'retry',
        delayMs: 20,
        record: {
          kind: 'transient',
          failures: { transient: 2, permanent: 2 },
          error: expect.stringContaining('ECONNREFUSED'),
        },
      },
    ]);
    expect(outcome).toMatchObject({ kind: 'retry-scheduled', failure: 'transient', delayMs: 20, nextAttempt: 5 });
    expect(reported).toEqual([outcome]);
  });

  it('dead-letters a permanent failure on the last allowed try, however many transient ones came before', async () => {
    const { flow, reported } = flowWith(() => Promise.reject(new Error('no such order')));
    const { mover, moves } = recordingMover();
    const outcome = await flow.run(received({ transient: 30, permanent: 2 }), mover);
    expect(moves).toEqual([
      {
        kind: 'dead-letter',
        reason: 'poison',
        record: { kind: 'permanent', failures: { transient: 30, permanent: 3 }, error: 'no such order' },
      },
    ]);
    expect(outcome).toMatchObject({ kind: 'dead-lettered', failure: 'permanent', reason: 'poison', attempts: 33 });
    expect(reported).toEqual([outcome]);
  });

  it('dead-letters a transient failure once the waits would pass the budget', async () => {
    const { flow } = flowWith(() => Promise.reject(transientError()));
    const { mover, moves } = recordingMover();
    // 10 + 20 + 40 * 24 = 990 ms waited before the 27th failure; another 40 would pass 1000.
    const outcome = await flow.run(received({ transient: 26, permanent: 0 }), mover);
    expect(moves).toMatchObject([{ kind: 'dead-letter', reason: 'retry-budget-exhausted' }]);
    expect(outcome).toMatchObject({ kind: 'dead-lettered', failure: 'transient' });
  });

  it('reports a message it could not settle as returned, and hands it back', async () => {
    const { flow, reported } = flowWith(() => Promise.reject(new Error('cannot apply')));
    const { mover, moves } = recordingMover({ retry: new Error('Channel closed') });
    const outcome = await flow.run(received(), mover);
    expect(outcome).toEqual({ kind: 'returned', messageId: 'message-1', why: 'Channel closed' });
    expect(moves).toEqual([{ kind: 'give-back' }]);
    expect(reported).toEqual([outcome]);
  });

  it('does not take a failed ack for a failed handler: the handler ran once and nothing is retried', async () => {
    let runs = 0;
    const { flow } = flowWith(async () => {
      runs++;
    });
    const { mover, moves } = recordingMover({ ack: new Error('Channel closed') });
    const outcome = await flow.run(received(), mover);
    expect(runs).toBe(1);
    expect(outcome.kind).toBe('returned');
    expect(moves).toEqual([{ kind: 'give-back' }]);
  });

  it('refuses a retry policy that makes no sense when the consumer starts', () => {
    expect(
      () =>
        new DeliveryFlow('q', async () => undefined, {
          retry: { ...POLICY, permanent: { tries: 3, delaysMs: [] } },
          logger: createLogger('silent'),
        }),
    ).toThrow(RangeError);
  });
});
