// Scenario 1: createOrder throughput and latency at several concurrencies,
// against pgbench running the same transaction as raw SQL on the same database.
import { join } from 'node:path';
import { errorNote, runLoad } from '../lib/load.js';
import type { BenchContext } from '../lib/infra.js';
import { runPgbench } from '../lib/pgbench.js';
import { figure, ratioGoal, type Figure, type ScenarioResult } from '../lib/results.js';
import { startService, type Account } from '../lib/service.js';
import type { Timing } from '../lib/timing.js';

export interface CreateOrderTarget {
  /** Names the run's service instance and its CPU profile. */
  label: string;
  env: Record<string, string>;
  customers: Account[];
  skuCount: number;
}

export interface Baseline {
  /** orders/s and latencies for `clients`, or null when there is none. */
  measure(clients: number): Promise<{ perSecond: number; p50: number; p99: number } | null>;
}

export function pgbenchBaseline(
  ctx: BenchContext,
  databaseUrl: string,
  customerId: string,
  timing: Timing,
  skuCount: number,
): Baseline {
  return {
    async measure(clients) {
      const result = await runPgbench({
        url: databaseUrl,
        script: join(ctx.repoRoot, 'bench/create-order.pgbench.sql'),
        clients,
        seconds: Math.max(1, Math.round(timing.durationMs / 1000)),
        variables: { customer: customerId, skus: skuCount },
        tmpDir: ctx.tmpDir,
      });
      if (result.failed > 0) console.warn(`pgbench: ${result.failed} failed transactions at ${clients} clients`);
      return { perSecond: result.tps, p50: result.latencyMs.p50, p99: result.latencyMs.p99 };
    },
  };
}

/** The line of a tool's failure that says what went wrong. */
function firstErrorLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n').find((line) => /ERROR|error:/.test(line)) ?? text.split('\n')[0] ?? '').trim();
}

/** How a run of measureCreateOrder names its figures and which it holds to a goal. */
export interface MeasureOptions {
  /** Appended to each figure's name (e.g. ", API alone"). */
  suffix?: string;
  /** The ratio goal, at the concurrencies it applies to. */
  goal?: { ratio: number; atClients: (clients: number, most: number) => boolean };
}

const ISSUE_GOAL: MeasureOptions['goal'] = { ratio: 0.5, atClients: (clients, most) => clients === most };

/** Measures each concurrency once: two measurements of the service share one baseline run. */
export function onceEach(baseline: Baseline): Baseline {
  const measured = new Map<number, ReturnType<Baseline['measure']>>();
  return {
    measure(clients) {
      let result = measured.get(clients);
      if (!result) {
        result = baseline.measure(clients);
        measured.set(clients, result);
      }
      return result;
    },
  };
}

export async function measureCreateOrder(
  ctx: BenchContext,
  target: CreateOrderTarget,
  baseline: Baseline,
  timing: Timing,
  options: MeasureOptions = { goal: ISSUE_GOAL },
): Promise<{ figures: Figure[]; notes: string[] }> {
  const suffix = options.suffix ?? '';
  const figures: Figure[] = [];
  const notes: string[] = [];
  const service = await startService(ctx, target.label, target.env);
  try {
    for (const clients of timing.concurrencies) {
      const load = await runLoad(ctx, {
        url: service.url,
        concurrency: clients,
        warmupMs: timing.warmupMs,
        durationMs: timing.durationMs,
        plan: { kind: 'createOrder', tokens: target.customers.map((c) => c.token), skuCount: target.skuCount },
      });
      notes.push(...errorNote(`createOrder at ${clients} clients`, load));
      const base = await baseline.measure(clients).catch((error: unknown) => {
        notes.push(`The baseline failed at ${clients} clients: ${firstErrorLine(error)}`);
        return null;
      });
      const who = `${clients} client${clients === 1 ? '' : 's'}${suffix}`;
      const atGoal = options.goal?.atClients(clients, Math.max(...timing.concurrencies));
      figures.push(
        figure(
          `orders/s, ${who}`,
          'orders/s',
          load.perSecond,
          base?.perSecond ?? null,
          atGoal && options.goal ? ratioGoal(options.goal.ratio) : undefined,
        ),
        figure(`p50 latency, ${who}`, 'ms', load.latencyMs.p50, base?.p50 ?? null),
        figure(`p99 latency, ${who}`, 'ms', load.latencyMs.p99, base?.p99 ?? null),
      );
    }
  } finally {
    await service.child.stop();
  }
  return { figures, notes };
}

export async function createOrderScenario(
  ctx: BenchContext,
  target: CreateOrderTarget,
  baseline: Baseline,
  timing: Timing,
): Promise<ScenarioResult> {
  const shared = onceEach(baseline);
  // As `npm start` runs: the relay and the consumers share the process (and the two cores) with the API.
  const withConsumers = await measureCreateOrder(ctx, target, shared, timing, { goal: ISSUE_GOAL });
  // As a scaled deployment runs its API instances (README "Scaling out"): createOrder's own cost, the
  // path pgbench replays. The outbox waits meanwhile (nothing relays it), which no figure here reads.
  const apiAlone = await measureCreateOrder(
    ctx,
    { ...target, label: `${target.label}-api-alone`, env: { ...target.env, RUN_CONSUMERS: 'false' } },
    shared,
    timing,
    { suffix: ', API alone', goal: { ratio: 0.7, atClients: (clients) => clients >= 16 } },
  );
  const figures = [...withConsumers.figures, ...apiAlone.figures];
  const notes = [...withConsumers.notes, ...apiAlone.notes];
  return {
    id: 'createOrder',
    title: '1. createOrder (PostgreSQL, Redis, RabbitMQ)',
    baseline:
      '`pgbench` running `bench/create-order.pgbench.sql` (the same stock updates, order, items, outbox and audit inserts as raw SQL, extended protocol) on the same database at the same concurrency (`-c N -j min(N,2) -T` the same seconds).',
    status: 'ok',
    figures,
    notes: [
      `Each client is its own customer (${target.customers.length} accounts) and orders two items, one sku from each half of a ${target.skuCount}-product catalogue with stock that never runs out; no idempotency key. The service's database pool is its default (DATABASE_POOL_SIZE, 20 connections); pgbench holds one connection per client.`,
      'The first figures are the service as `npm start` runs it, the outbox relay and the consumers (audit, notifications) in the same process on the same two cores; "API alone" is an instance with RUN_CONSUMERS=false, as a scaled deployment runs its API instances, measuring createOrder\'s own path (the one pgbench replays). Both against the same pgbench run.',
      'The service sends its two statements (the quote; the reservation that writes the order, its items and its outbox row) as named prepared statements, parsed and planned once per connection (DATABASE_PREPARED_STATEMENTS, src/db/statements.ts); pgbench, in the extended protocol, has PostgreSQL parse and plan each of its statements on every call.',
      ...notes,
    ],
  };
}
