import { describe, expect, it } from 'vitest';
import { onceEach, type Baseline } from './create-order.js';

describe('a baseline shared by two measurements', () => {
  it('runs once per concurrency and hands both the same figures', async () => {
    const runs: number[] = [];
    const baseline: Baseline = {
      async measure(clients) {
        runs.push(clients);
        return { perSecond: 100 * clients + runs.length, p50: 1, p99: 2 };
      },
    };
    const shared = onceEach(baseline);
    const first = [await shared.measure(1), await shared.measure(16)];
    const second = [await shared.measure(1), await shared.measure(16)];
    expect(runs).toEqual([1, 16]);
    expect(second).toEqual(first);
  });
});
