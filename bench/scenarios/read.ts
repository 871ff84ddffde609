// Scenario 2: `order(id)` on a warm cache against a plain node:http server
// serving the same JSON from Redis, and on a cold read (ids never read
// before) against a plain server reading the same rows from PostgreSQL.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Redis } from 'ioredis';
import { seedOrders, type RealServices } from '../lib/environment.js';
import { freePort, startNode, waitForHttp, withClient, type BenchContext, type Child } from '../lib/infra.js';
import { errorNote, runLoad } from '../lib/load.js';
import type { HttpLoadResult } from '../load/protocol.js';
import { ORDER_READ_QUERY } from '../lib/queries.js';
import { figure, ratioGoal, type Figure, type ScenarioResult } from '../lib/results.js';
import { scrapeMetrics, startService, sumMetrics } from '../lib/service.js';
import type { Timing } from '../lib/timing.js';

export const WARM_IDS = 200;

export function coldIdCount(quick: boolean): number {
  return quick ? 4_000 : 40_000;
}

export interface ReadTarget {
  label: string;
  env: Record<string, string>;
  token: string;
  warmIds: string[];
  coldIds: string[];
}

export interface ReadBaselines {
  /** Starts the warm baseline serving `bodies` (order id -> JSON) and returns its GET base URL. */
  warm(bodies: Map<string, string>): Promise<string>;
  /**
   * Starts the framework floor (bench/baselines/apollo-server.ts) serving the bodies the warm
   * baseline serves, and returns its GraphQL URL; absent where a scenario does not measure it.
   */
  framework?(bodies: Map<string, string>): Promise<string>;
  /** The cold baseline's GET base URL. */
  cold(): Promise<string>;
  /** What the warm reads did on the service side, judged after they ran: a sentence. */
  cacheEvidence(warmIds: string[]): Promise<string | null>;
}

/** A baseline server child (bench/baselines/http-server.ts) with `env`; returns its /order base URL. */
export async function startHttpBaseline(
  ctx: BenchContext,
  name: string,
  env: Record<string, string>,
): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const child = await startNode(ctx, name, join(ctx.repoRoot, 'dist/bench/baselines/http-server.js'), [], {
    ...env,
    PORT: String(port),
  });
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, child);
  return { url: `http://127.0.0.1:${port}/order`, child };
}

async function fetchText(url: string, init?: RequestInit): Promise<string> {
  const res = await fetch(url, init);
  return res.text();
}

/** The same answer: compared on `data`, since the service also reports the operation's cost in `extensions`. */
function sameJson(a: string, b: string): boolean {
  try {
    const data = (text: string) => (JSON.parse(text) as { data?: unknown }).data;
    return isDeepStrictEqual(data(a), data(b));
  } catch {
    return false;
  }
}

export async function measureReads(
  ctx: BenchContext,
  target: ReadTarget,
  baselines: ReadBaselines,
  timing: Timing,
): Promise<{ figures: Figure[]; notes: string[] }> {
  const notes: string[] = [];
  const service = await startService(ctx, target.label, target.env);
  const readFrom = (url: string, id: string) =>
    fetchText(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
      body: JSON.stringify({ query: ORDER_READ_QUERY, variables: { id } }),
    });
  const readOne = (id: string) => readFrom(service.url, id);
  try {
    const before = await scrapeMetrics(service.base);
    // Warm every id once, which also gives the JSON the warm baseline serves.
    const bodies = new Map<string, string>();
    for (const id of target.warmIds) bodies.set(id, await readOne(id));
    const firstBody = bodies.get(target.warmIds[0] ?? '') ?? '';
    if (!firstBody.includes('"order":{')) throw new Error(`order(id) did not answer: ${firstBody.slice(0, 300)}`);

    const load = {
      url: service.url,
      concurrency: timing.readConcurrency,
      warmupMs: timing.warmupMs,
      durationMs: timing.durationMs,
    };
    const warm = await runLoad(ctx, {
      ...load,
      plan: { kind: 'orderRead', token: target.token, ids: target.warmIds, once: false },
    });
    notes.push(...errorNote('warm reads', warm));
    const afterWarm = await scrapeMetrics(service.base);

    const warmUrl = await baselines.warm(bodies);
    const warmBase = await runLoad(ctx, {
      ...load,
      url: warmUrl,
      plan: { kind: 'get', ids: target.warmIds, once: false },
    });
    notes.push(...errorNote('warm baseline', warmBase));
    if (!sameJson(await fetchText(`${warmUrl}/${target.warmIds[0]}`), firstBody)) {
      notes.push('The warm baseline’s JSON differs from the service’s (check the baseline).');
    }

    let floor: HttpLoadResult | null = null;
    if (baselines.framework) {
      const floorUrl = await baselines.framework(bodies);
      floor = await runLoad(ctx, {
        ...load,
        url: floorUrl,
        plan: { kind: 'orderRead', token: target.token, ids: target.warmIds, once: false },
      });
      notes.push(...errorNote('warm framework floor', floor));
      if (!sameJson(await readFrom(floorUrl, target.warmIds[0] ?? ''), firstBody)) {
        notes.push('The framework floor’s JSON differs from the service’s (check the baseline).');
      }
    }

    const cold = await runLoad(ctx, {
      ...load,
      plan: { kind: 'orderRead', token: target.token, ids: target.coldIds, once: true },
    });
    notes.push(...errorNote('cold reads', cold));
    if (cold.ok + cold.errors >= target.coldIds.length) {
      notes.push(
        `Cold reads ran out of never-read ids (${target.coldIds.length}) before the time was up; measured over ${cold.windowSeconds.toFixed(1)} s.`,
      );
    }
    const afterCold = await scrapeMetrics(service.base);
    const coldUrl = await baselines.cold();
    const coldBase = await runLoad(ctx, {
      ...load,
      url: coldUrl,
      plan: { kind: 'get', ids: target.coldIds, once: true },
    });
    notes.push(...errorNote('cold baseline', coldBase));
    const probe = target.coldIds[0] ?? '';
    if (!sameJson(await fetchText(`${coldUrl}/${probe}`), await readOne(probe))) {
      notes.push('The cold baseline’s JSON differs from the service’s (check the baseline).');
    }

    notes.push(
      cacheNote(before, afterWarm, afterCold) ??
        (await baselines.cacheEvidence(target.warmIds)) ??
        'Whether reads hit a cache could not be told.',
    );
    return {
      notes,
      figures: [
        figure('warm cache: reads/s', 'reads/s', warm.perSecond, warmBase.perSecond),
        figure('warm cache: p50 latency', 'ms', warm.latencyMs.p50, warmBase.latencyMs.p50),
        figure('warm cache: p99 latency', 'ms', warm.latencyMs.p99, warmBase.latencyMs.p99),
        ...(floor
          ? [
              figure(
                'warm cache: reads/s against the Apollo floor',
                'reads/s',
                warm.perSecond,
                floor.perSecond,
                ratioGoal(0.7),
              ),
              figure('warm cache: p50 latency against the Apollo floor', 'ms', warm.latencyMs.p50, floor.latencyMs.p50),
              figure('warm cache: p99 latency against the Apollo floor', 'ms', warm.latencyMs.p99, floor.latencyMs.p99),
            ]
          : []),
        figure('cold (database): reads/s', 'reads/s', cold.perSecond, coldBase.perSecond, ratioGoal(0.5)),
        figure('cold (database): p50 latency', 'ms', cold.latencyMs.p50, coldBase.latencyMs.p50),
        figure('cold (database): p99 latency', 'ms', cold.latencyMs.p99, coldBase.latencyMs.p99),
      ],
    };
  } finally {
    await service.child.stop();
  }
}

/** From the service's own cache counters, when /metrics has any. */
function cacheNote(...snapshots: (Map<string, number> | null)[]): string | null {
  const [before, warm, cold] = snapshots;
  if (!before || !warm || !cold) return null;
  const hits = (m: Map<string, number>) => sumMetrics(m, /cache.*hit/i);
  const misses = (m: Map<string, number>) => sumMetrics(m, /cache.*miss/i);
  const h0 = hits(before);
  const m0 = misses(before);
  if (h0 === null || m0 === null) return 'The service has /metrics but no cache hit/miss counters there.';
  const delta = (a: number | null, b: number | null) => (a ?? 0) - (b ?? 0);
  return `Cache counters from /metrics: warm phase ${delta(hits(warm), h0)} hits / ${delta(misses(warm), m0)} misses; cold phase ${delta(hits(cold), hits(warm))} hits / ${delta(misses(cold), misses(warm))} misses.`;
}

export async function readScenario(ctx: BenchContext, real: RealServices, timing: Timing): Promise<ScenarioResult> {
  const owner = real.customers[0];
  if (!owner) throw new Error('no bench customer');
  const ids = await withClient(real.databaseUrl, (c) =>
    seedOrders((sql) => c.query(sql), owner.id, WARM_IDS + coldIdCount(ctx.quick)),
  );
  const redis = new Redis(real.redisUrl);
  const bodyPrefix = `${real.redisPrefix}bench-body:order:`;
  try {
    const { figures, notes } = await measureReads(
      ctx,
      {
        label: 'read',
        // An API instance alone (RUN_CONSUMERS=false, as a scaled deployment runs it): with consumers, this
        // instance would be working off what the createOrder scenario queued while its reads are measured.
        env: { ...real.env, RUN_CONSUMERS: 'false' },
        token: owner.token,
        warmIds: ids.slice(0, WARM_IDS),
        coldIds: ids.slice(WARM_IDS),
      },
      {
        async warm(bodies) {
          for (const [id, body] of bodies) await redis.set(`${bodyPrefix}${id}`, body);
          return (
            await startHttpBaseline(ctx, 'read-baseline-redis', {
              BASELINE_SOURCE: 'redis',
              REDIS_URL: real.redisUrl,
              KEY_PREFIX: bodyPrefix,
            })
          ).url;
        },
        async framework(bodies) {
          for (const [id, body] of bodies) await redis.set(`${bodyPrefix}${id}`, body);
          const port = await freePort();
          const child = await startNode(
            ctx,
            'read-baseline-apollo',
            join(ctx.repoRoot, 'dist/bench/baselines/apollo-server.js'),
            [],
            {
              NODE_ENV: 'production',
              PORT: String(port),
              REDIS_URL: real.redisUrl,
              KEY_PREFIX: bodyPrefix,
            },
          );
          await waitForHttp(`http://127.0.0.1:${port}/healthz`, child);
          return `http://127.0.0.1:${port}/graphql`;
        },
        async cold() {
          return (
            await startHttpBaseline(ctx, 'read-baseline-postgres', {
              BASELINE_SOURCE: 'postgres',
              DATABASE_URL: real.databaseUrl,
            })
          ).url;
        },
        async cacheEvidence(warmIds) {
          // No counters: look for the order's cache key (`order:{id}`, under whatever prefix) in Redis.
          const id = warmIds[0] ?? '';
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', `*order:${id}`, 'COUNT', 5000);
            cursor = next;
            const key = keys.find((k) => !k.startsWith(bodyPrefix));
            if (key)
              return `No cache counters on /metrics; Redis holds \`${key}\` after the warm reads, so they can be served from the cache.`;
          } while (cursor !== '0');
          return 'No cache counters on /metrics and no `order:{id}` key in Redis after the warm reads: this build does not cache orders, so the warm figures are database reads too.';
        },
      },
      timing,
    );
    return {
      id: 'read',
      title: '2. order(id) reads (PostgreSQL, Redis)',
      baseline:
        'a plain `node:http` server (bench/baselines/http-server.ts) answering GET /order/<id> with the same JSON: warm, one Redis GET of that JSON; cold, one SQL query for the order and its items (pg, pool of 10). The framework floor (bench/baselines/apollo-server.ts): a bare Apollo Server on Express, the service’s packages and schema, answering the same `order(id)` query from one Redis GET of the same JSON.',
      status: 'ok',
      figures,
      notes: [
        `An API instance alone (RUN_CONSUMERS=false: no consumers working off what earlier scenarios queued). ${timing.readConcurrency} concurrent clients as the orders’ owner; warm: ${WARM_IDS} ids each read once beforehand, then cycled; cold: ${coldIdCount(ctx.quick)} orders written straight into the tables and each read at most once, so every read misses any cache and goes to the database.`,
        'Cold: the service loads a missed order with one named prepared statement (parsed and planned once per connection; DATABASE_PREPARED_STATEMENTS), the baseline with one parameterised query that PostgreSQL parses and plans on each call, as plain `pg` does.',
        ...notes,
      ],
    };
  } finally {
    redis.disconnect();
  }
}

export async function writeBodies(path: string, bodies: Map<string, string>): Promise<void> {
  await writeFile(path, JSON.stringify(Object.fromEntries(bodies)));
}
