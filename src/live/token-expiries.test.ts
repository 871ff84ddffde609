import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenExpiries } from './token-expiries.js';

describe('TokenExpiries', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('closes each socket when its token expires, with one timer for all', () => {
    const expired: string[] = [];
    const expiries = new TokenExpiries<string>((socket) => expired.push(socket), 250);
    const now = Date.now();
    expiries.watch('late', now + 5_000);
    expiries.watch('soon', now + 1_000);
    expiries.watch('also soon', now + 1_000);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired.sort()).toEqual(['also soon', 'soon']);
    vi.advanceTimersByTime(4_000);
    expect(expired).toContain('late');
    expect(expiries.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never closes a socket it was told to forget, and holds no timer once none is left', () => {
    const expired: string[] = [];
    const expiries = new TokenExpiries<string>((socket) => expired.push(socket));
    expiries.watch('gone', Date.now() + 1_000);
    expiries.watch('kept', Date.now() + 2_000);
    expiries.forget('gone');
    vi.advanceTimersByTime(2_000);
    expect(expired).toEqual(['kept']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sweeps at most once per granularity, however the expiries are spread', () => {
    const expired: number[] = [];
    const expiries = new TokenExpiries<number>((socket) => expired.push(socket), 250);
    const start = Date.now();
    for (let i = 1; i <= 100; i++) expiries.watch(i, start + i * 10);
    vi.advanceTimersByTime(10);
    expect(expired).toEqual([1]);
    // The next sweep waits out the granularity: 2..26 (due by 260 ms) go together.
    vi.advanceTimersByTime(249);
    expect(expired).toEqual([1]);
    vi.advanceTimersByTime(1);
    expect(expired).toHaveLength(26);
    vi.advanceTimersByTime(1_000);
    expect(expired).toHaveLength(100);
  });

  it('closes at once a socket whose token has already expired', () => {
    const expired: string[] = [];
    const expiries = new TokenExpiries<string>((socket) => expired.push(socket));
    expiries.watch('stale', Date.now() - 1);
    vi.advanceTimersByTime(0);
    expect(expired).toEqual(['stale']);
  });
});
