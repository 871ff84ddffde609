// Counting tries ourselves: RabbitMQ's own redelivery counting is not a
// bound we can rely on (classic queues have none; requeues may not count),
// so a failed message is re-published with this header raised by one and
// dead-lettered once it reaches the bound. Never an endless requeue.

export const ATTEMPT_HEADER = 'x-attempt';
/** Tries before a message goes to its dead-letter queue. */
export const MAX_DELIVERY_ATTEMPTS = 5;

/** Which try a delivery is (1-based), from our header and, on quorum queues, the broker's redelivery count. */
export function attemptOf(headers: Record<string, unknown> | undefined): number {
  const ours = Number(headers?.[ATTEMPT_HEADER]);
  // Quorum queues count redeliveries after a lost channel or crash: those are tries as well.
  const redeliveries = Number(headers?.['x-delivery-count']);
  const fromOurs = Number.isSafeInteger(ours) && ours >= 1 ? ours : 1;
  const fromBroker = Number.isSafeInteger(redeliveries) && redeliveries >= 0 ? redeliveries + 1 : 1;
  return Math.max(fromOurs, fromBroker);
}

export type FailureStep = { kind: 'retry'; nextAttempt: number; delayMs: number } | { kind: 'dead-letter' };

/** What to do with a message whose handler failed on try `attempt`. */
export function afterFailure(attempt: number, maxAttempts = MAX_DELIVERY_ATTEMPTS): FailureStep {
  if (attempt >= maxAttempts) return { kind: 'dead-letter' };
  return { kind: 'retry', nextAttempt: attempt + 1, delayMs: retryDelayMs(attempt) };
}

/** 100 ms, 200 ms, 400 ms, ... capped at 2 s: long enough for a blip, short enough to keep the queue moving. */
export function retryDelayMs(attempt: number): number {
  return Math.min(2000, 100 * 2 ** Math.max(0, attempt - 1));
}

export function errorSummary(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return (code ? `${code}: ${message}` : message).slice(0, 500);
}
