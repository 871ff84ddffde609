// Where rate-limit counters live: Redis (shared by every instance of a
// deployment) or a bounded map in this process. Each counter is a sliding
// window of the times of the calls it admitted.
//
// A call is counted in one atomic step that also decides: every counter it
// is checked against admits it and records it, or it is refused and recorded
// nowhere. Reading a counter and writing it back later (graphql-rate-limit's
// own store contract) lets parallel calls, the operations of one HTTP batch
// and the aliased root fields of one operation all read the same count and
// all get through.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RateLimit } from '../config.js';
import type { Logger } from '../logger.js';

/** One counter a call is checked against. */
export interface RateLimitCounter {
  /** The counter's kind, e.g. `login-email`. */
  bucket: string;
  /** Whose counter: `ip:…`, `email:…` or `user:…`. */
  identity: string;
  limit: RateLimit;
}

export interface RateLimitStore {
  /**
   * Counts one call against all of `counters` at once. Answers 0 when the
   * call is admitted (and counted by each), or else the milliseconds until
   * every counter would admit it (and it is counted by none).
   */
  hit(counters: readonly RateLimitCounter[]): Promise<number>;
}

/** The counter's key (the Redis client adds the deployment's REDIS_KEY_PREFIX). */
export function rateLimitKey(counter: Pick<RateLimitCounter, 'bucket' | 'identity'>): string {
  return `rate-limit:${counter.bucket}:${counter.identity}`;
}

/**
 * Time until a counter holding these call times (oldest first, all live from
 * `from` on) admits one more: all but `max - 1` of them must have left the window.
 */
export function msUntilAdmitted(times: readonly number[], limit: RateLimit, now: number, from = 0): number {
  if (times.length - from < limit.max) return 0;
  const blocking = times[times.length - limit.max]!;
  return Math.max(1, blocking + limit.windowMs - now);
}

// KEYS: the counters; ARGV: this call's member, then max and window (ms) per key.
// Redis's clock is the one every instance shares. The keys of one call must hash
// to one slot on a Redis Cluster (not used here: one Redis per deployment).
const HIT_SCRIPT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local wait = 0
for i, key in ipairs(KEYS) do
  local max = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= max then
    local blocking = redis.call('ZRANGE', key, count - max, count - max, 'WITHSCORES')
    wait = math.max(wait, tonumber(blocking[2]) + window - now, 1)
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return 0
`;

interface HitCommand {
  /** Defined by `defineCommand` below: EVALSHA, falling back to EVAL once after a Redis restart. */
  rateLimitHit(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<number>;
}

/**
 * Counters in Redis, counted by one Lua script per call (one round trip).
 * Fails open: while Redis is down or slow the limits are not enforced,
 * rather than every request failing with them; that is logged once a minute.
 */
export class FailOpenRedisStore implements RateLimitStore {
  private readonly redis: Redis & HitCommand;
  private readonly instance = randomBytes(6).toString('base64url');
  private calls = 0;
  private lastWarning = 0;

  constructor(
    redis: Redis,
    private readonly logger: Logger,
  ) {
    redis.defineCommand('rateLimitHit', { lua: HIT_SCRIPT });
    // defineCommand adds the method at run time; ioredis cannot type it.
    this.redis = redis as Redis & HitCommand;
  }

  async hit(counters: readonly RateLimitCounter[]): Promise<number> {
    if (counters.length === 0) return 0;
    // Unique per call, so calls in the same millisecond are separate members of the sorted set.
    const member = `${this.instance}:${(this.calls++).toString(36)}`;
    const limits = counters.flatMap((c) => [c.limit.max, c.limit.windowMs]);
    try {
      return await this.redis.rateLimitHit(counters.length, ...counters.map(rateLimitKey), member, ...limits);
    } catch (err) {
      this.warn(err);
      return 0;
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
 * Counters in this process, for when there is no REDIS_URL. `hit` is
 * synchronous from reading to writing, so concurrent calls cannot
 * interleave inside it. Entries expire with their window, and the map is
 * bounded.
 *
 * Each counter is a log of call times, oldest first. A hit costs the same
 * however long the log is: expired times are passed over from the front
 * (`from`), and the passed-over part is cut off once it is half the log.
 * (A call is admitted only while fewer than `max` are live, so the live part
 * is never longer than `max`.)
 */
interface Counter {
  times: number[];
  /** Times before this index have left the window. */
  from: number;
  expiresAt: number;
}

/** Passed-over times are cut off once they are at least this many and half the log. */
const COMPACT_AFTER = 64;

export class InProcessRateLimitStore implements RateLimitStore {
  private readonly entries = new Map<string, Counter>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  hit(counters: readonly RateLimitCounter[]): Promise<number> {
    return Promise.resolve(this.hitNow(counters));
  }

  /** Call times kept for `key`, passed-over ones included (for tests: the log does not grow without end). */
  kept(key: string): number {
    return this.entries.get(key)?.times.length ?? 0;
  }

  private hitNow(counters: readonly RateLimitCounter[]): number {
    const now = this.now();
    let wait = 0;
    const live: [string, RateLimitCounter, Counter][] = [];
    for (const counter of counters) {
      const key = rateLimitKey(counter);
      const entry = this.entries.get(key) ?? { times: [], from: 0, expiresAt: 0 };
      const { times } = entry;
      // Oldest first: the expired ones are at the front. (A clock that stepped back leaves a time out of
      // order; it is passed over a little late, which only ever counts a call too many, never too few.)
      while (entry.from < times.length && times[entry.from]! + counter.limit.windowMs <= now) entry.from++;
      wait = Math.max(wait, msUntilAdmitted(times, counter.limit, now, entry.from));
      live.push([key, counter, entry]);
    }
    for (const [key, counter, entry] of live) {
      if (wait === 0) entry.times.push(now);
      if (entry.from >= COMPACT_AFTER && entry.from * 2 >= entry.times.length) {
        entry.times = entry.times.slice(entry.from);
        entry.from = 0;
      }
      // Re-inserted: the map's order is then least recently used first, for eviction.
      this.entries.delete(key);
      if (entry.from < entry.times.length) {
        entry.expiresAt = entry.times.at(-1)! + counter.limit.windowMs;
        this.entries.set(key, entry);
      }
    }
    if (this.entries.size > this.maxEntries) this.evict(now);
    return wait;
  }

  private evict(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    // Still full of live entries: drop the least recently used.
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
