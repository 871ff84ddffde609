// The rate-limit stores' contract, run against each: the in-process map (on a
// clock the test moves) and Redis (real, on a key prefix of this file's own,
// on Redis's clock: the test waits). Then what only Redis has: counters shared
// by every instance, under the deployment's prefix, failing open when cut off.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FailOpenRedisStore,
  InProcessRateLimitStore,
  msUntilAdmitted,
  rateLimitKey,
  type RateLimitCounter,
  type RateLimitStore,
} from '../../src/limits/rate-limit-stores.js';
import { createLogger } from '../../src/logger.js';
import { createRedis, waitUntilReady } from '../../src/redis.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { testServices } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const silent = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
let counterSeq = 0;
/** A counter no other test touches. */
function counter(max: number, windowMs = 60_000, bucket = 'test'): RateLimitCounter {
  return { bucket, identity: `id:${process.pid}-${counterSeq++}`, limit: { max, windowMs } };
}

interface Subject {
  store: RateLimitStore;
  /** Lets this much time pass for the store. */
  advance(ms: number): Promise<void>;
}

function contract(name: string, setUp: () => Promise<{ subject: Subject; tearDown(): Promise<void> }>) {
  describe(`the rate-limit store contract: ${name}`, () => {
    let subject: Subject;
    let tearDown: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      ({ subject, tearDown } = await setUp());
    });
    afterAll(async () => {
      await tearDown?.();
    });
    const hit = (...counters: RateLimitCounter[]) => subject.store.hit(counters);

    it('admits up to the limit and refuses the next call, with a wait inside the window', async () => {
      const c = counter(3);
      expect([await hit(c), await hit(c), await hit(c)]).toEqual([0, 0, 0]);
      const wait = await hit(c);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60_000);
    });

    it('lets exactly the limit through 50 calls made at once', async () => {
      const c = counter(10);
      const waits = await Promise.all(Array.from({ length: 50 }, () => hit(c)));
      expect(waits.filter((w) => w === 0)).toHaveLength(10);
    });

    it('counts a call against all its counters or none: a refused call costs nothing', async () => {
      const roomy = counter(5);
      const full = counter(1);
      expect(await hit(roomy, full)).toBe(0);
      expect(await hit(roomy, full)).toBeGreaterThan(0);
      expect(await hit(roomy, full)).toBeGreaterThan(0);
      // `roomy` holds the one admitted call only: four more fit.
      for (let i = 0; i < 4; i++) expect(await hit(roomy)).toBe(0);
      expect(await hit(roomy)).toBeGreaterThan(0);
    });

    it('keeps counters apart by bucket and by identity', async () => {
      const c = counter(1);
      expect(await hit(c)).toBe(0);
      expect(await hit(c)).toBeGreaterThan(0);
      expect(await hit({ ...c, bucket: 'other' })).toBe(0);
      expect(await hit({ ...c, identity: `${c.identity}-other` })).toBe(0);
    });

    it('waits for the oldest call that blocks, and slides: refused calls never push the window out', async () => {
      const c = counter(2, 4_000);
      expect(await hit(c)).toBe(0);
      await subject.advance(1_000);
      expect(await hit(c)).toBe(0);
      const wait = await hit(c);
      // The first call leaves the window first: at most 4000 - 1000 ms from now.
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(3_000);
      await subject.advance(1_000);
      expect(await hit(c)).toBeGreaterThan(0);
      // Over 4 s after the first call it has left; the refusals at 1 s and 2 s were never counted.
      await subject.advance(2_200);
      expect(await hit(c)).toBe(0);
      // The second call (at 1 s) is still in the window.
      expect(await hit(c)).toBeGreaterThan(0);
    });
  });
}

contract('in this process', async () => {
  let clock = 1_000_000;
  const store = new InProcessRateLimitStore({ now: () => clock });
  return {
    subject: { store, advance: async (ms) => void (clock += ms) },
    tearDown: async () => undefined,
  };
});

describe('the in-process store', () => {
  it('answers every call as a plain log of the window would, across thousands of calls', async () => {
    let clock = 0;
    const store = new InProcessRateLimitStore({ now: () => clock });
    const limit = { max: 50, windowMs: 1_000 };
    const subject = { bucket: 'model', identity: 'one', limit };
    // The model: every admitted call's time, filtered on each call.
    let model: number[] = [];
    let seed = 7;
    const step = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 40; // 0-39 ms between calls
    for (let i = 0; i < 5_000; i++) {
      clock += step();
      model = model.filter((t) => t + limit.windowMs > clock);
      const expected = msUntilAdmitted(model, limit, clock);
      if (expected === 0) model.push(clock);
      expect(await store.hit([subject])).toBe(expected);
    }
    // The passed-over times are cut off: the log is not every call ever admitted.
    expect(store.kept(rateLimitKey(subject))).toBeLessThanOrEqual(2 * 64 + limit.max);
  });

  it('stays bounded: past its size the least recently used counter is dropped', async () => {
    const store = new InProcessRateLimitStore({ maxEntries: 2 });
    const [a, b, c] = [counter(1), counter(1), counter(1)];
    for (const x of [a, b, c]) expect(await store.hit([x])).toBe(0);
    // a was dropped to make room for c (so it admits again); b and c are still full.
    expect(await store.hit([a])).toBe(0);
    expect(await store.hit([c])).toBeGreaterThan(0);
  });
});

describe.runIf(testServices.redisUrl)('over Redis', () => {
  let testRedis: TestRedis;
  const clients: Redis[] = [];
  /** A client as an API instance has one: under the prefix, failing fast while disconnected. */
  const connect = async (url = testServices.redisUrl!) => {
    const client = createRedis({ url, keyPrefix: testRedis.keyPrefix, commandTimeoutMs: 2_000 }, 'commands', silent);
    clients.push(client);
    if (!(await waitUntilReady(client, 5_000))) throw new Error('redis not ready');
    return client;
  };
  beforeAll(() => {
    testRedis = createTestRedis()!;
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await testRedis.drop();
  });

  contract('Redis', async () => ({
    subject: { store: new FailOpenRedisStore(await connect(), silent), advance: (ms) => sleep(ms) },
    tearDown: async () => undefined,
  }));

  it('is one set of counters for every instance of the deployment', async () => {
    const instances = [
      new FailOpenRedisStore(await connect(), silent),
      new FailOpenRedisStore(await connect(), silent),
    ];
    const c = counter(10);
    const waits = await Promise.all(Array.from({ length: 60 }, (_, i) => instances[i % 2]!.hit([c])));
    expect(waits.filter((w) => w === 0)).toHaveLength(10);
  });

  it('keeps each counter under the deployment key prefix, expiring with its window', async () => {
    const c = counter(5, 30_000);
    await new FailOpenRedisStore(await connect(), silent).hit([c]);
    const raw = new Redis(testServices.redisUrl!);
    try {
      const key = `${testRedis.keyPrefix}${rateLimitKey(c)}`;
      expect(await raw.zcard(key)).toBe(1);
      const ttl = await raw.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30_000);
    } finally {
      raw.disconnect();
    }
  });

  describe('while Redis is out of reach', () => {
    let proxy: TcpProxy;
    const warnings: string[] = [];
    let store: FailOpenRedisStore;
    beforeAll(async () => {
      proxy = await startTcpProxy(testServices.redisUrl!);
      const logger = createLogger('warn', 'test', {
        destination: { write: (line: string) => void warnings.push(line) },
      });
      store = new FailOpenRedisStore(await connect(proxy.url), logger);
    });
    afterAll(async () => {
      await proxy?.close();
    });

    it('admits every call (fails open) and says so once a minute, not once a call', async () => {
      const c = counter(1);
      expect(await store.hit([c])).toBe(0);
      expect(await store.hit([c])).toBeGreaterThan(0);
      proxy.cut();
      for (let i = 0; i < 5; i++) expect(await store.hit([c])).toBe(0);
      const lines = warnings.filter((l) => l.includes('rate limits not enforced'));
      expect(lines).toHaveLength(1);
    });
  });
});
