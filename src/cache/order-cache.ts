// order(id), cache first. The cache holds the order as plain data (with its
// customerId: the caller is authorized on every read, cached or not).
// Concurrent misses on one id share one database load in this process; a
// cache that errs or is slow is skipped, never waited on beyond the Redis
// command timeout. Every committed change invalidates the entry.
import type { Logger } from '../logger.js';
import type { OrderSnapshot } from '../orders/index.js';
import type { KeyValueStore } from './key-value-store.js';

/** `order:{id}`; the deployment's prefix is added by the store's client. */
export function orderCacheKey(orderId: string): string {
  return `order:${orderId}`;
}

export type OrderLoader = (orderId: string) => Promise<OrderSnapshot | null>;

const MAX_PENDING_INVALIDATIONS = 10_000;

interface Flight {
  promise: Promise<OrderSnapshot | null>;
  /** Settles once the result is in the cache (or could not be put there): until then later misses join. */
  settled: Promise<unknown>;
  /** Set when a change lands while loading: the result may predate it, so it is not cached. */
  invalidated: boolean;
}

/** What the cache reports to /metrics. */
export interface CacheObserver {
  cacheHit(cache?: string): void;
  cacheMiss(cache?: string): void;
}

const UNOBSERVED: CacheObserver = { cacheHit: () => undefined, cacheMiss: () => undefined };

export class OrderCache {
  private readonly inFlight = new Map<string, Flight>();
  /** Deletes that failed (Redis down); retried when it is back, or the entry could outlive its change. */
  private readonly pendingInvalidations = new Set<string>();
  private lastWarning = 0;
  /** Database loads since start; tests read it to see single-flight at work. */
  loads = 0;

  constructor(
    private readonly store: KeyValueStore,
    private readonly load: OrderLoader,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
    private readonly observer: CacheObserver = UNOBSERVED,
  ) {}

  async get(orderId: string): Promise<OrderSnapshot | null> {
    const joined = this.inFlight.get(orderId);
    if (joined) {
      this.observer.cacheMiss('order');
      return joined.promise;
    }
    const cached = await this.read(orderId);
    if (cached) {
      this.observer.cacheHit('order');
      return cached;
    }
    this.observer.cacheMiss('order');
    const again = this.inFlight.get(orderId);
    if (again) return again.promise;
    const flight: Flight = { promise: Promise.resolve(null), settled: Promise.resolve(), invalidated: false };
    flight.promise = this.loadAndFill(orderId, flight);
    this.inFlight.set(orderId, flight);
    // Kept until the cache holds the result, so a miss between the load and the fill does not load again.
    void flight.promise
      .then(() => flight.settled)
      .catch(() => undefined)
      .finally(() => {
        if (this.inFlight.get(orderId) === flight) this.inFlight.delete(orderId);
      });
    return flight.promise;
  }

  /** After a committed change. Never throws: a failed delete is remembered and retried. */
  async invalidate(orderId: string): Promise<void> {
    this.forgetInFlight(orderId);
    try {
      await this.store.delete(orderCacheKey(orderId));
      this.pendingInvalidations.delete(orderId);
    } catch (err) {
      if (this.pendingInvalidations.size < MAX_PENDING_INVALIDATIONS) this.pendingInvalidations.add(orderId);
      this.warn(err, 'could not invalidate a cached order; will retry');
    }
  }

  /** Call when the store is reachable again. */
  async retryPendingInvalidations(): Promise<void> {
    for (const orderId of [...this.pendingInvalidations]) await this.invalidate(orderId);
  }

  get pendingInvalidationCount(): number {
    return this.pendingInvalidations.size;
  }

  /** A load that started before a change must not write its (older) result into the cache. */
  private forgetInFlight(orderId: string): void {
    const flight = this.inFlight.get(orderId);
    if (flight) {
      flight.invalidated = true;
      this.inFlight.delete(orderId);
    }
  }

  private async read(orderId: string): Promise<OrderSnapshot | null> {
    try {
      const raw = await this.store.get(orderCacheKey(orderId));
      return raw ? (JSON.parse(raw) as OrderSnapshot) : null;
    } catch (err) {
      this.warn(err, 'order cache unavailable; reading from the database');
      return null;
    }
  }

  private async loadAndFill(orderId: string, flight: Flight): Promise<OrderSnapshot | null> {
    this.loads++;
    const snapshot = await this.load(orderId);
    if (snapshot && !flight.invalidated) {
      // Not awaited: the caller has its answer; filling the cache is best effort.
      flight.settled = this.store
        .set(orderCacheKey(orderId), JSON.stringify(snapshot), this.ttlSeconds)
        .catch((err: unknown) => {
          this.warn(err, 'could not fill the order cache');
        });
    }
    return snapshot;
  }

  /** At most one warning a minute: during an outage every request would log otherwise. */
  private warn(err: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, message);
  }
}
