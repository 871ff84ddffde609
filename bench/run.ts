// `npm run bench [-- --quick] [-- --only=createOrder,read,fanout,e2e,embedded]`:
// starts the compiled service against the run's own database, vhost and
// Redis prefix, drives it from separate load processes, measures every
// baseline in the same run, tears everything down and writes
// bench/RESULTS.md and bench/results.json.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/args.js';
import { prepareRealServices, SKU_COUNT, type RealServices } from './lib/environment.js';
import { assertBuilt, machineInfo, type BenchContext } from './lib/infra.js';
import { renderMarkdown, type RunResults, type ScenarioResult } from './lib/results.js';
import { timingFor } from './lib/timing.js';
import { createOrderScenario, pgbenchBaseline } from './scenarios/create-order.js';
import { embeddedScenario } from './scenarios/embedded.js';
import { endToEndScenario } from './scenarios/end-to-end.js';
import { fanoutScenario } from './scenarios/fanout.js';
import { readScenario } from './scenarios/read.js';

function failed(id: string, title: string, error: unknown): ScenarioResult {
  return {
    id,
    title,
    baseline: 'not measured',
    status: 'failed',
    reason: (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 6).join(' / '),
    figures: [],
    notes: [],
  };
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  assertBuilt(repoRoot, ['dist/src/main.js', 'dist/bench/load/http-load.js']);
  const started = Date.now();
  const runId = `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const ctx: BenchContext = {
    quick,
    runId,
    repoRoot,
    tmpDir: await mkdtemp(join(tmpdir(), `${runId}-`)),
    profileDir: process.env.BENCH_CPU_PROF === '1' ? join(repoRoot, 'bench/profiles') : null,
    pgAdminUrl: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    rabbitmqUrl: process.env.BENCH_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    cleanups: [],
  };
  const timing = timingFor(quick);
  const results: RunResults = {
    date: new Date().toISOString(),
    node: process.version,
    mode: quick ? 'quick' : 'full',
    machine: machineInfo(),
    durationSeconds: 0,
    scenarios: [],
  };
  const step = (text: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${text}`);

  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    step('interrupted: tearing down');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    let real: RealServices | null = null;
    // The end-to-end scenario makes its own (below); the embedded one needs none.
    const needsReal = only.some((id) => id !== 'embedded' && id !== 'e2e');
    if (needsReal) {
      step(`preparing database, vhost and Redis prefix ${runId}`);
      real = await prepareRealServices(ctx);
    }
    for (const id of only) {
      if (interrupted) break;
      step(`scenario ${id}`);
      try {
        const outcome = await (async (): Promise<ScenarioResult> => {
          switch (id) {
            case 'createOrder': {
              const r = real as RealServices;
              return createOrderScenario(
                ctx,
                { label: 'create-order', env: r.env, customers: r.customers, skuCount: SKU_COUNT },
                pgbenchBaseline(ctx, r.databaseUrl, r.customers[0]?.id ?? '', timing, SKU_COUNT),
                timing,
              );
            }
            case 'read':
              return readScenario(ctx, real as RealServices, timing);
            case 'fanout':
              return fanoutScenario(ctx, real as RealServices, timing);
            case 'e2e': {
              // A database, vhost and prefix of its own: the scenarios before it leave the consumers' queues
              // (audit, notifications) thousands of events deep, which its first phase would work off.
              step('preparing a database, vhost and Redis prefix of its own for e2e');
              const own = await prepareRealServices({ ...ctx, runId: `${ctx.runId}_e2e` });
              return endToEndScenario(ctx, own, timing);
            }
            case 'embedded':
              return embeddedScenario(ctx, timing);
          }
        })();
        results.scenarios.push(outcome);
        step(`${id}: ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}`);
      } catch (error) {
        console.error(error);
        results.scenarios.push(failed(id, id, error));
      }
    }
  } finally {
    step('tearing down');
    for (const cleanup of ctx.cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => console.error('teardown:', error));
    }
    await rm(ctx.tmpDir, { recursive: true, force: true });
  }

  results.durationSeconds = (Date.now() - started) / 1000;
  const benchDir = join(repoRoot, 'bench');
  await writeFile(join(benchDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(benchDir, 'RESULTS.md'), renderMarkdown(results));
  step(`wrote bench/RESULTS.md and bench/results.json`);
  console.log(renderMarkdown(results));
}

await main();
