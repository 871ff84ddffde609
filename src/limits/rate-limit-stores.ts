// Where graphql-rate-limit keeps its call timestamps: Redis (the library's
// RedisStore, shared by every instance) or a bounded map in this process.
import type { Redis } from 'ioredis';
import { RedisStore, type Identity, type Store } from 'graphql-rate-limit';
import type { Logger } from '../logger.js';

/** The key the library's RedisStore writes (before the client's deployment prefix). */
export function rateLimitKey(identity: Identity): string {
  return `redis-store-id::${identity.contextIdentity}:${identity.fieldIdentity}`;
}

/**
 * The library's RedisStore, failing open: while Redis is down or slow the
 * limits are not enforced, rather than every request failing with them.
 */
export class FailOpenRedisStore implements Store {
  private readonly inner: RedisStore;
  private lastWarning = 0;

  constructor(
    redis: Redis,
    private readonly logger: Logger,
  ) {
    this.inner = new RedisStore(redis);
  }

  async setForIdentity(identity: Identity, timestamps: readonly number[], windowMs?: number): Promise<void> {
    try {
      await this.inner.setForIdentity(identity, timestamps, windowMs);
    } catch (err) {
      this.warn(err);
    }
  }

  async getForIdentity(identity: Identity): Promise<readonly number[]> {
    try {
      return await this.inner.getForIdentity(identity);
    } catch (err) {
      this.warn(err);
      return [];
    }
  }

  private warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.logger.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'rate limits not enforced: redis unavailable',
    );
  }
}

/**
 * In-process store for when there is no REDIS_URL. The library's own
 * InMemoryStore copies its whole state on every call and never forgets an
 * identity; this one is a map whose entries expire with their window.
 */
export class InProcessRateLimitStore implements Store {
  private readonly entries = new Map<string, { timestamps: readonly number[]; expiresAt: number }>();

  constructor(private readonly maxEntries = 100_000) {}

  setForIdentity(identity: Identity, timestamps: readonly number[], windowMs = 60_000): void {
    const key = rateLimitKey(identity);
    this.entries.delete(key);
    this.entries.set(key, { timestamps: [...timestamps], expiresAt: Date.now() + windowMs });
    if (this.entries.size > this.maxEntries) this.evict();
  }

  getForIdentity(identity: Identity): readonly number[] {
    const entry = this.entries.get(rateLimitKey(identity));
    if (!entry || entry.expiresAt <= Date.now()) return [];
    return entry.timestamps;
  }

  private evict(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    // Still full of live entries: drop the least recently written.
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
