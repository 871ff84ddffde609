// Scenario 5: scenarios 1 and 2 on the embedded defaults (no DATABASE_URL,
// REDIS_URL or RABBITMQ_URL: PGlite and in-process bus, pub/sub and cache),
// with a DATA_DIR of the run's own. Baselines: pgbench and a plain read
// server on a PGlite served the same way, over a copy of the same data.
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { CUSTOMERS, SKU_COUNT, seedOrders, seedProducts } from '../lib/environment.js';
import { freePort, startNode, waitForTcp, type BenchContext } from '../lib/infra.js';
import type { ScenarioResult } from '../lib/results.js';
import { registerCustomers, startService } from '../lib/service.js';
import type { Timing } from '../lib/timing.js';
import { measureCreateOrder, pgbenchBaseline } from './create-order.js';
import { coldIdCount, measureReads, startHttpBaseline, WARM_IDS, writeBodies } from './read.js';

export async function embeddedScenario(ctx: BenchContext, timing: Timing): Promise<ScenarioResult> {
  const dataDir = join(ctx.tmpDir, 'embedded-data');
  const env = { DATA_DIR: dataDir };
  // A first start creates the database and the accounts; the catalogue and orders go straight into PGlite.
  const setup = await startService(ctx, 'embedded-setup', env);
  let customers;
  try {
    customers = await registerCustomers(setup.url, CUSTOMERS);
  } finally {
    await setup.child.stop();
  }
  const owner = customers[0];
  if (!owner) throw new Error('no bench customer');
  const db = new PGlite(join(dataDir, 'pg'));
  let ids: string[];
  try {
    await seedProducts((sql) => db.query(sql));
    ids = await seedOrders((sql) => db.query<{ id: string }>(sql), owner.id, WARM_IDS + coldIdCount(ctx.quick));
  } finally {
    await db.close();
  }

  const copy = join(ctx.tmpDir, 'embedded-baseline-pg');
  await cp(join(dataDir, 'pg'), copy, { recursive: true });
  const port = await freePort();
  const pglite = await startNode(
    ctx,
    'embedded-baseline-pglite',
    join(ctx.repoRoot, 'dist/bench/baselines/pglite-server.js'),
    [],
    {
      PGLITE_DIR: copy,
      PORT: String(port),
    },
  );
  const baselineUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
  try {
    await waitForTcp(port, pglite);
    const created = await measureCreateOrder(
      ctx,
      { label: 'embedded-create-order', env, customers, skuCount: SKU_COUNT },
      pgbenchBaseline(ctx, baselineUrl, owner.id, timing, SKU_COUNT),
      timing,
    );
    const reads = await measureReads(
      ctx,
      {
        label: 'embedded-read',
        env,
        token: owner.token,
        warmIds: ids.slice(0, WARM_IDS),
        coldIds: ids.slice(WARM_IDS),
      },
      {
        async warm(bodies) {
          const file = join(ctx.tmpDir, 'embedded-bodies.json');
          await writeBodies(file, bodies);
          return (
            await startHttpBaseline(ctx, 'embedded-read-baseline-memory', {
              BASELINE_SOURCE: 'memory',
              BODIES_FILE: file,
            })
          ).url;
        },
        async cold() {
          return (
            await startHttpBaseline(ctx, 'embedded-read-baseline-pglite', {
              BASELINE_SOURCE: 'postgres',
              DATABASE_URL: baselineUrl,
            })
          ).url;
        },
        async cacheEvidence() {
          return 'No cache counters on /metrics; an in-process cache cannot be seen from outside, so whether warm reads hit one is not known.';
        },
      },
      timing,
    );
    return {
      id: 'embedded',
      title: '5. Embedded defaults (PGlite, in-process bus and cache)',
      baseline:
        'on a PGlite served over the wire protocol the way the service serves its own (bench/baselines/pglite-server.ts), over a copy of the same data: `pgbench` with the createOrder script for scenario 1; for reads, a plain `node:http` server answering from a Map (warm) or with one SQL query to that PGlite (cold).',
      status: 'ok',
      figures: [...created.figures, ...reads.figures],
      notes: [
        'The service runs with no DATABASE_URL, REDIS_URL or RABBITMQ_URL and its own DATA_DIR, so everything else is its default (the payment simulator is on by default there).',
        ...created.notes,
        ...(created.notes.some((n) => n.includes('baseline failed'))
          ? [
              'pgbench cannot drive PGlite’s socket server with more than one client (its extended-protocol messages from several connections interleave and it aborts as above), so those baselines are n/a.',
            ]
          : []),
        ...reads.notes,
      ],
    };
  } finally {
    await pglite.stop();
  }
}
