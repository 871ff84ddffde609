import { describe, expect, it } from 'vitest';
import { percentile, ratio, summarize } from './stats.js';

describe('latency summaries', () => {
  it('takes percentiles by nearest rank, so each is a latency that really happened', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
  });

  it('sorts numerically before ranking', () => {
    const s = summarize([10, 9, 100, 1, 2]);
    expect(s).toMatchObject({ count: 5, p50: 9, p99: 100, max: 100 });
    expect(s.mean).toBeCloseTo(24.4);
  });

  it('has no percentiles for no samples, and refuses a nonsense percentile', () => {
    expect(summarize([]).p99).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('gives no ratio without a baseline', () => {
    expect(ratio(50, 100)).toBe(0.5);
    expect(ratio(null, 100)).toBeNull();
    expect(ratio(50, 0)).toBeNull();
    expect(ratio(50, Number.NaN)).toBeNull();
  });
});
