import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeldLeases } from './held-leases.js';

describe('held leases', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('renews every row in hand every third of the lease, and stops once none is', async () => {
    const renewals: string[][] = [];
    const leases = new HeldLeases(
      900,
      async (ids, ms) => {
        expect(ms).toBe(900);
        renewals.push([...ids].sort());
      },
      () => {},
    );
    leases.hold(['a', 'b']);
    await vi.advanceTimersByTimeAsync(300);
    expect(renewals).toEqual([['a', 'b']]);
    leases.letGo('a');
    await vi.advanceTimersByTimeAsync(300);
    expect(renewals).toEqual([['a', 'b'], ['b']]);
    leases.letGo('b');
    await vi.advanceTimersByTimeAsync(3000);
    expect(renewals).toHaveLength(2);
    expect(leases.size).toBe(0);
  });

  it('reports a failed renewal and keeps renewing, one at a time', async () => {
    const failures: number[] = [];
    let calls = 0;
    let release: () => void = () => {};
    const leases = new HeldLeases(
      300,
      async () => {
        calls++;
        if (calls === 1) throw new Error('database away');
        // The second renewal hangs: the ticks meanwhile must not pile up renewals behind it.
        if (calls === 2) await new Promise<void>((resolve) => (release = resolve));
      },
      (_error, rows) => failures.push(rows),
    );
    leases.hold(['a']);
    await vi.advanceTimersByTimeAsync(100);
    expect(failures).toEqual([1]);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toBe(2);
    release();
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(3);
    leases.stop();
  });
});
