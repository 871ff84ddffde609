import { describe, expect, it } from 'vitest';
import { afterFailure, attemptOf, ATTEMPT_HEADER, MAX_DELIVERY_ATTEMPTS, retryDelayMs } from './retry.js';

describe('try counting', () => {
  it('counts a message without our header as the first try', () => {
    expect(attemptOf(undefined)).toBe(1);
    expect(attemptOf({})).toBe(1);
  });

  it('reads the try from our header and ignores nonsense in it', () => {
    expect(attemptOf({ [ATTEMPT_HEADER]: 3 })).toBe(3);
    expect(attemptOf({ [ATTEMPT_HEADER]: 'x' })).toBe(1);
    expect(attemptOf({ [ATTEMPT_HEADER]: -2 })).toBe(1);
  });

  it('counts broker redeliveries (quorum x-delivery-count) as tries too', () => {
    expect(attemptOf({ 'x-delivery-count': 4 })).toBe(5);
    expect(attemptOf({ [ATTEMPT_HEADER]: 2, 'x-delivery-count': 1 })).toBe(2);
  });

  it('retries below the bound with growing, capped delays', () => {
    expect(afterFailure(1)).toEqual({ kind: 'retry', nextAttempt: 2, delayMs: 100 });
    expect(afterFailure(3)).toEqual({ kind: 'retry', nextAttempt: 4, delayMs: 400 });
    expect(retryDelayMs(20)).toBe(2000);
  });

  it('dead-letters at the bound, never loops', () => {
    expect(afterFailure(MAX_DELIVERY_ATTEMPTS)).toEqual({ kind: 'dead-letter' });
    expect(afterFailure(MAX_DELIVERY_ATTEMPTS + 7)).toEqual({ kind: 'dead-letter' });
    let attempt = 1;
    let tries = 1;
    for (let step = afterFailure(attempt); step.kind === 'retry'; step = afterFailure(attempt)) {
      attempt = step.nextAttempt;
      tries++;
    }
    expect(tries).toBe(MAX_DELIVERY_ATTEMPTS);
  });
});
