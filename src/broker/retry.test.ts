// The retry schedule checked against what it promises (docs/events.md), by
// playing failures through it, not by restating its numbers.
import { describe, expect, it } from 'vitest';
import type { FailureKind } from './failure.js';
import {
  afterFailure,
  checkRetryPolicy,
  DEFAULT_RETRY_POLICY,
  retryDelaysOf,
  type DeadLetterReason,
  type Failures,
  type RetryPolicy,
} from './retry.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

interface Played {
  /** The waits between tries, in order. */
  waits: number[];
  tries: number;
  deadLetter: DeadLetterReason | null;
}

/** Fails a message with `kinds(n)` on its n-th try until it is dead-lettered or `maxTries` is reached. */
function play(kinds: (n: number) => FailureKind, policy: RetryPolicy = DEFAULT_RETRY_POLICY, maxTries = 10_000) {
  const failures: Failures = { transient: 0, permanent: 0 };
  const played: Played = { waits: [], tries: 0, deadLetter: null };
  while (played.tries < maxTries) {
    played.tries++;
    const kind = kinds(played.tries);
    failures[kind]++;
    const step = afterFailure(kind, { ...failures }, policy);
    if (step.kind === 'dead-letter') {
      played.deadLetter = step.reason;
      break;
    }
    played.waits.push(step.delayMs);
  }
  return played;
}

const total = (waits: number[]) => waits.reduce((sum, w) => sum + w, 0);

describe('a message that fails on its own (permanent)', () => {
  it('gets 5 tries, then goes to the DLQ as poison', () => {
    const played = play(() => 'permanent');
    expect(played.tries).toBe(5);
    expect(played.deadLetter).toBe('poison');
  });

  it('is given tens of seconds in all (an order not visible yet), and is out of the way within a minute', () => {
    const waited = total(play(() => 'permanent').waits);
    expect(waited).toBeGreaterThanOrEqual(20 * SECOND);
    expect(waited).toBeLessThanOrEqual(MINUTE);
  });

  it('waits longer after each failure', () => {
    const { waits } = play(() => 'permanent');
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1] as number);
  });
});

describe('a message whose dependencies are away (transient)', () => {
  it('keeps being retried for most of half an hour, never longer, then goes to the DLQ', () => {
    const played = play(() => 'transient');
    expect(played.deadLetter).toBe('retry-budget-exhausted');
    expect(total(played.waits)).toBeLessThanOrEqual(30 * MINUTE);
    expect(total(played.waits)).toBeGreaterThanOrEqual(25 * MINUTE);
  });

  it('starts with a quick retry, never waits more than a minute at a time, and never waits less than before', () => {
    const { waits } = play(() => 'transient');
    expect(waits[0]).toBeLessThanOrEqual(SECOND);
    expect(Math.max(...waits)).toBeLessThanOrEqual(MINUTE);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1] as number);
  });

  it('gets through a 5 s outage, tried again within 5 s of its end wherever in it the message arrived', () => {
    const OUTAGE = 5 * SECOND;
    for (let arrival = 0; arrival < OUTAGE; arrival += 100) {
      let t = arrival;
      let failures: Failures = { transient: 0, permanent: 0 };
      while (t < OUTAGE) {
        failures = { ...failures, transient: failures.transient + 1 };
        const step = afterFailure('transient', failures, DEFAULT_RETRY_POLICY);
        if (step.kind !== 'retry') throw new Error(`dead-lettered ${arrival} ms into a 5 s outage`);
        t += step.delayMs;
      }
      expect(t - OUTAGE).toBeLessThanOrEqual(5 * SECOND);
    }
  });

  it('never counts toward the poison bound, however many there were', () => {
    // 3 transient failures before each permanent one: still exactly 5 permanent tries.
    const played = play((n) => (n % 4 === 0 ? 'permanent' : 'transient'));
    expect(played.deadLetter).toBe('poison');
    expect(played.tries).toBe(20);
  });

  it('and permanent failures do not use up the transient allowance', () => {
    const failures = { transient: 1, permanent: DEFAULT_RETRY_POLICY.permanent.tries - 1 };
    expect(afterFailure('transient', failures, DEFAULT_RETRY_POLICY)).toMatchObject({ kind: 'retry' });
  });

  it('answers at once for absurd counts from a header', () => {
    expect(afterFailure('transient', { transient: 1_000_000, permanent: 0 }, DEFAULT_RETRY_POLICY)).toEqual({
      kind: 'dead-letter',
      reason: 'retry-budget-exhausted',
    });
    expect(afterFailure('permanent', { transient: 0, permanent: 1_000_000 }, DEFAULT_RETRY_POLICY)).toEqual({
      kind: 'dead-letter',
      reason: 'poison',
    });
  });
});

describe('the retry queues', () => {
  it('cover every wait the schedule can ask for, each once', () => {
    const asked = new Set([
      ...play(() => 'transient').waits,
      ...play(() => 'permanent').waits,
      ...play((n) => (n % 3 === 0 ? 'permanent' : 'transient')).waits,
    ]);
    const queues = retryDelaysOf(DEFAULT_RETRY_POLICY);
    expect(new Set(queues).size).toBe(queues.length);
    for (const wait of asked) expect(queues).toContain(wait);
    expect(queues.length).toBe(asked.size);
  });
});

describe('a retry policy', () => {
  const quick: RetryPolicy = {
    permanent: { tries: 3, delaysMs: [10, 20] },
    transient: { delaysMs: [5, 50], budgetMs: 200 },
  };

  it('can be shortened for tests and keeps its rules', () => {
    expect(play(() => 'permanent', quick)).toMatchObject({ tries: 3, deadLetter: 'poison', waits: [10, 20] });
    const transient = play(() => 'transient', quick);
    expect(transient.deadLetter).toBe('retry-budget-exhausted');
    expect(total(transient.waits)).toBeLessThanOrEqual(200);
    expect(total(transient.waits) + 50).toBeGreaterThan(200);
  });

  it('is refused when it would retry never, forever, or with waits a timer cannot hold', () => {
    expect(checkRetryPolicy(quick)).toBe(quick);
    const bad: RetryPolicy[] = [
      { ...quick, permanent: { tries: 0, delaysMs: [] } },
      { ...quick, permanent: { tries: 3, delaysMs: [10] } },
      { ...quick, permanent: { tries: 2, delaysMs: [0] } },
      { ...quick, transient: { delaysMs: [], budgetMs: 100 } },
      { ...quick, transient: { delaysMs: [2 ** 40], budgetMs: 100 } },
      { ...quick, transient: { delaysMs: [10], budgetMs: Number.POSITIVE_INFINITY } },
    ];
    for (const policy of bad) expect(() => checkRetryPolicy(policy)).toThrow(RangeError);
  });
});
