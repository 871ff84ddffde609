// The retry schedule: what a failed message gets, by the kind of failure
// (failure.ts). We count tries ourselves, in headers (RabbitMQ) or in memory
// (the in-process bus): RabbitMQ's own redelivery counting is no bound we can
// rely on (classic queues have none; requeues may not count). Nothing is
// retried forever, and no failure kind uses up the other's allowance.
import type { FailureKind } from './failure.js';

export interface RetryPolicy {
  /**
   * A message that fails on its own (malformed, unknown order, a broken
   * rule) gets `tries` tries, waiting `delaysMs[n - 1]` after its n-th
   * failure, then goes to its dead-letter queue.
   */
  permanent: { tries: number; delaysMs: readonly number[] };
  /**
   * A message whose handler failed because something it needs is away waits
   * `delaysMs[n - 1]` after its n-th such failure (the last step repeats)
   * and is dead-lettered only once the waits would pass `budgetMs` in all.
   */
  transient: { delaysMs: readonly number[]; budgetMs: number };
}

/**
 * Permanent: 5 tries over about 46 s (1 s, 5 s, 10 s, 30 s). That is the
 * grace an order gets to become visible to a payment that overtook it (an
 * UnknownOrderError is permanent, but a replica or a slow commit can make it
 * true for a few seconds), and still short enough that poison is out of the
 * way within a minute. Transient: 1 s, 2 s, 5 s, 10 s, 30 s, then every
 * minute, for 30 minutes in all: a restart or failover of PostgreSQL,
 * RabbitMQ or Redis heals within the first steps; an outage past half an
 * hour is an incident, and its messages wait in the DLQ for a replay.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  permanent: { tries: 5, delaysMs: [1_000, 5_000, 10_000, 30_000] },
  transient: { delaysMs: [1_000, 2_000, 5_000, 10_000, 30_000, 60_000], budgetMs: 30 * 60_000 },
};

/** Failed tries so far, by kind. */
export interface Failures {
  transient: number;
  permanent: number;
}

export const NO_FAILURES: Failures = Object.freeze({ transient: 0, permanent: 0 });

/** Why a message was given up on: it failed `permanent.tries` times on its own, or stayed unservable past the transient budget. */
export type DeadLetterReason = 'poison' | 'retry-budget-exhausted';

export type FailureStep = { kind: 'retry'; delayMs: number } | { kind: 'dead-letter'; reason: DeadLetterReason };

/** What to do after a failure of `kind`; `failures` already counts it. */
export function afterFailure(kind: FailureKind, failures: Failures, policy: RetryPolicy): FailureStep {
  if (kind === 'permanent') {
    if (failures.permanent >= policy.permanent.tries) return { kind: 'dead-letter', reason: 'poison' };
    return { kind: 'retry', delayMs: stepOf(policy.permanent.delaysMs, failures.permanent) };
  }
  const delayMs = stepOf(policy.transient.delaysMs, failures.transient);
  if (transientWaitBefore(policy, failures.transient) + delayMs > policy.transient.budgetMs) {
    return { kind: 'dead-letter', reason: 'retry-budget-exhausted' };
  }
  return { kind: 'retry', delayMs };
}

/** Every wait the policy can ask for, shortest first: RabbitMQ keeps one retry queue per wait. */
export function retryDelaysOf(policy: RetryPolicy): number[] {
  const permanent = policy.permanent.delaysMs.slice(0, Math.max(0, policy.permanent.tries - 1));
  return [...new Set([...permanent, ...policy.transient.delaysMs])].sort((a, b) => a - b);
}

/** Refuses a policy that would retry forever, never, or with waits a timer or a TTL cannot hold. */
export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const wait = (ms: number) => Number.isSafeInteger(ms) && ms >= 1 && ms <= MAX_DELAY_MS;
  const { permanent, transient } = policy;
  if (!Number.isSafeInteger(permanent.tries) || permanent.tries < 1) {
    throw new RangeError('retry policy: permanent.tries must be a whole number of at least 1');
  }
  if (permanent.delaysMs.length < permanent.tries - 1 || !permanent.delaysMs.every(wait)) {
    throw new RangeError(`retry policy: permanent.delaysMs needs ${permanent.tries - 1} waits of 1 ms to 24 h`);
  }
  if (transient.delaysMs.length === 0 || !transient.delaysMs.every(wait)) {
    throw new RangeError('retry policy: transient.delaysMs needs at least one wait of 1 ms to 24 h');
  }
  if (!Number.isSafeInteger(transient.budgetMs) || transient.budgetMs < 0) {
    throw new RangeError('retry policy: transient.budgetMs must be a whole number of milliseconds');
  }
  return policy;
}

/** Longest single wait: RabbitMQ's x-message-ttl and Node's timers both hold it. */
const MAX_DELAY_MS = 24 * 60 * 60_000;

/** The wait after the n-th failure (n >= 1); the last step repeats. */
function stepOf(delays: readonly number[], n: number): number {
  return delays[Math.min(Math.max(n, 1), delays.length) - 1] as number;
}

/** How long a message has already waited before its n-th transient failure, in closed form (a header may say 10^9). */
function transientWaitBefore(policy: RetryPolicy, n: number): number {
  const delays = policy.transient.delaysMs;
  const earlier = Math.max(0, n - 1);
  const ladder = delays.slice(0, Math.min(earlier, delays.length)).reduce((sum, d) => sum + d, 0);
  const repeats = Math.max(0, earlier - delays.length);
  return ladder + repeats * (delays[delays.length - 1] as number);
}

export function errorSummary(error: unknown): string {
  const raw = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  const code = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return (code ? `${code}: ${message}` : message).slice(0, 500);
}
