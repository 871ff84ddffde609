// The open-loop end-to-end scenario's arithmetic, apart from any socket: when
// an order is due, what a subscriber's record holds after dedupe, what it
// missed against the database, and which offered rate still holds.

/**
 * How many arrivals are due `elapsedMs` into a phase of `total` arrivals at
 * `ratePerSecond`, evenly spaced, the first at 0. A sender that woke late
 * sends every arrival it owes at once: the offered rate never waits for the
 * service.
 */
export function arrivalsDue(ratePerSecond: number, elapsedMs: number, total: number): number {
  if (elapsedMs < 0) return 0;
  return Math.min(total, Math.floor((elapsedMs * ratePerSecond) / 1000) + 1);
}

/** The instant (ms into the phase) arrival `index` was scheduled for: latency counts from here, not from a late send. */
export function scheduledAt(ratePerSecond: number, index: number): number {
  return (index * 1000) / ratePerSecond;
}

export interface ChangeKey {
  orderId: string;
  version: number;
}

/** A subscriber's record of the changes it was sent, deduplicated by (order, version), as docs/live.md asks. */
export class ChangeLedger {
  /** Order id -> version -> the arrival's number (1, 2, ...). */
  private readonly versions = new Map<string, Map<number, number>>();
  private readonly highest = new Map<string, number>();
  /** How many distinct changes have arrived: a mark for "what had arrived by then". */
  arrivals = 0;
  /** Changes that arrived again after their first arrival (dropped by the dedupe). */
  duplicates = 0;
  /** Changes that arrived with a version below one already seen for their order (not a duplicate). */
  outOfOrder = 0;

  /** Records a change; false when it is a duplicate. */
  add(orderId: string, version: number): boolean {
    const seen = this.versions.get(orderId) ?? new Map<number, number>();
    if (seen.has(version)) {
      this.duplicates++;
      return false;
    }
    if (version < (this.highest.get(orderId) ?? 0)) this.outOfOrder++;
    else this.highest.set(orderId, version);
    seen.set(version, ++this.arrivals);
    this.versions.set(orderId, seen);
    return true;
  }

  has(orderId: string, version: number): boolean {
    return this.versions.get(orderId)?.has(version) ?? false;
  }

  /** Every (order, version) recorded for one of `orderIds`, among the first `upTo` arrivals. */
  keysOf(orderIds: ReadonlySet<string>, upTo = Number.POSITIVE_INFINITY): ChangeKey[] {
    const keys: ChangeKey[] = [];
    for (const [orderId, versions] of this.versions) {
      if (!orderIds.has(orderId)) continue;
      for (const [version, arrival] of versions) if (arrival <= upTo) keys.push({ orderId, version });
    }
    return keys;
  }
}

export interface LedgerComparison {
  /** Changes the database says the subscriber was entitled to and it never got. */
  missed: number;
  /** Changes of the compared orders it got that the database does not have (must be 0 too). */
  unexpected: number;
}

/**
 * Holds a subscriber's record against what it is entitled to: `entitled`, the
 * changes the database has for the orders it may see among `orderIds`, read
 * after the ledger's first `arrivedBefore` arrivals. A change that arrived
 * later may have committed after the read, so only the earlier ones can be
 * unexpected.
 */
export function compareLedger(
  ledger: ChangeLedger,
  entitled: readonly ChangeKey[],
  orderIds: ReadonlySet<string>,
  arrivedBefore = ledger.arrivals,
): LedgerComparison {
  const expected = new Set(entitled.map((c) => `${c.orderId}:${c.version}`));
  let missed = 0;
  for (const change of entitled) if (!ledger.has(change.orderId, change.version)) missed++;
  const unexpected = ledger
    .keysOf(orderIds, arrivedBefore)
    .filter((c) => !expected.has(`${c.orderId}:${c.version}`)).length;
  return { missed, unexpected };
}

export interface RateOutcome {
  offeredPerSecond: number;
  paidPerSecond: number;
  missed: number;
  unexpected: number;
  /** The worst p99 among the latencies held against the goal (NaN when nothing was seen). */
  p99Ms: number;
}

/** A rate holds when nothing is missed, p99 < 1 s and PAID keeps up with what was offered (within 5 %). */
export function rateHolds(outcome: RateOutcome): boolean {
  return (
    outcome.missed === 0 &&
    outcome.unexpected === 0 &&
    Number.isFinite(outcome.p99Ms) &&
    outcome.p99Ms < 1000 &&
    outcome.paidPerSecond >= 0.95 * outcome.offeredPerSecond
  );
}

/** The highest offered rate that holds, or null when none does. */
export function highestHoldingRate(outcomes: readonly RateOutcome[]): number | null {
  let best: number | null = null;
  for (const outcome of outcomes) {
    if (rateHolds(outcome) && (best === null || outcome.offeredPerSecond > best)) best = outcome.offeredPerSecond;
  }
  return best;
}
