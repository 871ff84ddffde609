import { describe, expect, it } from 'vitest';
import {
  arrivalsDue,
  ChangeLedger,
  compareLedger,
  highestHoldingRate,
  rateHolds,
  scheduledAt,
  type RateOutcome,
} from './open-loop.js';

describe('the open-loop schedule', () => {
  it('offers the first order at once and then one every 1/rate seconds', () => {
    expect(arrivalsDue(100, 0, 6000)).toBe(1);
    expect(arrivalsDue(100, 9.9, 6000)).toBe(1);
    expect(arrivalsDue(100, 10, 6000)).toBe(2);
    expect(arrivalsDue(25, 1000, 1500)).toBe(26);
    expect(scheduledAt(25, 26)).toBe(1040);
  });

  it('owes every arrival a late sender slept through: the offered rate does not wait for replies', () => {
    // A sender stuck for a whole second behind a slow reply still sends all 200 due orders at once.
    expect(arrivalsDue(200, 999, 12_000)).toBe(200);
    expect(arrivalsDue(200, 1000, 12_000)).toBe(201);
  });

  it('never offers more than the phase holds, nor anything before it starts', () => {
    expect(arrivalsDue(50, 60_000, 3000)).toBe(3000);
    expect(arrivalsDue(50, 10 * 60_000, 3000)).toBe(3000);
    expect(arrivalsDue(50, -5, 3000)).toBe(0);
  });
});

describe('a subscriber’s record', () => {
  it('keeps each (order, version) once and counts the repeats', () => {
    const ledger = new ChangeLedger();
    expect(ledger.add('a', 2)).toBe(true);
    expect(ledger.add('a', 2)).toBe(false);
    expect(ledger.add('b', 2)).toBe(true);
    expect(ledger.add('a', 3)).toBe(true);
    expect(ledger.add('a', 3)).toBe(false);
    expect(ledger.duplicates).toBe(2);
    expect(ledger.outOfOrder).toBe(0);
    expect(ledger.has('a', 3)).toBe(true);
    expect(ledger.has('b', 3)).toBe(false);
  });

  it('counts an older version arriving after a newer one as out of order, not as a duplicate', () => {
    const ledger = new ChangeLedger();
    ledger.add('a', 3);
    expect(ledger.add('a', 2)).toBe(true);
    expect(ledger.outOfOrder).toBe(1);
    expect(ledger.duplicates).toBe(0);
  });

  it('misses what the database has and the record lacks, and flags what the database does not have', () => {
    const ledger = new ChangeLedger();
    ledger.add('a', 2);
    ledger.add('a', 2);
    ledger.add('b', 3); // b never had a version 3
    ledger.add('old', 2); // an order outside the compared ones: neither missed nor unexpected
    const entitled = [
      { orderId: 'a', version: 2 },
      { orderId: 'b', version: 2 },
      { orderId: 'c', version: 2 },
    ];
    expect(compareLedger(ledger, entitled, new Set(['a', 'b', 'c']))).toEqual({ missed: 2, unexpected: 1 });
  });

  it('does not hold against the database a change that arrived after it was read', () => {
    const ledger = new ChangeLedger();
    ledger.add('a', 2);
    const readAfter = ledger.arrivals;
    ledger.add('a', 3); // committed after the read: the database's answer could not have it
    const entitled = [{ orderId: 'a', version: 2 }];
    expect(compareLedger(ledger, entitled, new Set(['a']), readAfter)).toEqual({ missed: 0, unexpected: 0 });
    expect(compareLedger(ledger, entitled, new Set(['a']))).toEqual({ missed: 0, unexpected: 1 });
  });

  it('misses nothing when it holds every change it is owed, whatever else it holds', () => {
    const ledger = new ChangeLedger();
    for (const [id, v] of [
      ['a', 2],
      ['b', 2],
      ['b', 3],
      ['x', 2],
    ] as const)
      ledger.add(id, v);
    const entitled = [
      { orderId: 'a', version: 2 },
      { orderId: 'b', version: 2 },
      { orderId: 'b', version: 3 },
    ];
    expect(compareLedger(ledger, entitled, new Set(['a', 'b']))).toEqual({ missed: 0, unexpected: 0 });
  });
});

describe('which offered rate holds', () => {
  const good: RateOutcome = { offeredPerSecond: 100, paidPerSecond: 99, missed: 0, unexpected: 0, p99Ms: 400 };

  it('holds with nothing missed, p99 under a second and PAID keeping up with the offer', () => {
    expect(rateHolds(good)).toBe(true);
    expect(rateHolds({ ...good, missed: 1 })).toBe(false);
    expect(rateHolds({ ...good, unexpected: 1 })).toBe(false);
    expect(rateHolds({ ...good, p99Ms: 1000 })).toBe(false);
    expect(rateHolds({ ...good, p99Ms: Number.NaN })).toBe(false);
    expect(rateHolds({ ...good, paidPerSecond: 90 })).toBe(false);
  });

  it('reports the highest rate that holds, even when a lower one did not', () => {
    const outcomes = [
      { ...good, offeredPerSecond: 25, paidPerSecond: 25 },
      { ...good, offeredPerSecond: 50, paidPerSecond: 50, p99Ms: 1200 },
      { ...good, offeredPerSecond: 100 },
      { ...good, offeredPerSecond: 200, paidPerSecond: 150 },
    ];
    expect(highestHoldingRate(outcomes)).toBe(100);
    expect(highestHoldingRate([{ ...good, missed: 3 }])).toBeNull();
  });
});
