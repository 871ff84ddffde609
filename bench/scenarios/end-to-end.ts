// Scenario 4: open loop, end to end. Orders arrive at offered rates (on a
// schedule, whatever the service answers) through two API instances, the
// broker, the payment simulator and two consumer processes to PAID, while an
// ADMIN and 100 customers track them live and resume on any close. Per rate:
// what reached PAID, how fast, and whether any subscriber missed a change the
// database says it was entitled to; and where the CPU goes at the highest
// rate that holds.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mergeSelfTimes, selfTimes, type CpuProfile, type SelfTime } from '../lib/cpuprofile.js';
import { SKU_COUNT, type RealServices } from '../lib/environment.js';
import { withClient } from '../lib/infra.js';
import { forkOnce, startNode, type BenchContext, type Child } from '../lib/infra.js';
import { highestHoldingRate, type RateOutcome } from '../lib/open-loop.js';
import { figure, formatNumber, type Figure, type ScenarioResult } from '../lib/results.js';
import { registerCustomers, serviceEnv, startService, type Service } from '../lib/service.js';
import type { Timing } from '../lib/timing.js';
import type { EndToEndResult, EndToEndSpec, PhaseResult } from '../load/end-to-end.js';
import { probeGraphqlWs } from './fanout.js';

const CONSUMERS_SCRIPT = 'dist/consumers/main.js';
const CUSTOMER_SUBSCRIBERS = 100;
/** The goal: at this rate, nothing missed and p99 under a second. */
const GOAL_RATE = 100;
const API_NAMES = ['e2e-api-1', 'e2e-api-2'];
const CONSUMER_NAMES = ['e2e-consumers-1', 'e2e-consumers-2'];

export async function endToEndScenario(ctx: BenchContext, real: RealServices, timing: Timing): Promise<ScenarioResult> {
  const result: ScenarioResult = {
    id: 'e2e',
    title: '4. End to end, open loop: createOrder → payment → PAID seen live, 1 ADMIN + 100 customer subscribers',
    baseline: `none: held against the absolute goal (at ${GOAL_RATE} orders/s: 0 changes missed, p99 < 1 s).`,
    status: 'ok',
    figures: [],
    notes: [],
  };
  if (!existsSync(join(ctx.repoRoot, CONSUMERS_SCRIPT))) {
    return {
      ...result,
      status: 'not available',
      reason: `${CONSUMERS_SCRIPT} does not exist in this build (the standalone consumers).`,
    };
  }
  // Always profiled: the notes say where the CPU goes. BENCH_CPU_PROF=1 keeps the profiles in bench/profiles.
  const profiled: BenchContext = { ...ctx, profileDir: ctx.profileDir ?? join(ctx.tmpDir, 'profiles') };
  const env = { ...real.env, RUN_CONSUMERS: 'false', PAYMENT_SIMULATOR: 'true', PAYMENT_SIMULATOR_DELAY: '0s' };
  const apis: Service[] = [];
  const consumers: Child[] = [];
  let run: EndToEndResult;
  try {
    for (const name of API_NAMES) apis.push(await startService(profiled, name, env));
    const sockets = apis.map((a) => a.url.replace(/^http/, 'ws'));
    const missing = await probeGraphqlWs(sockets[0] as string, real.admin.token);
    if (missing !== null)
      return {
        ...result,
        status: 'not available',
        reason: `the service does not accept graphql-ws on /graphql: ${missing}`,
      };
    for (const name of CONSUMER_NAMES) {
      consumers.push(
        await startNode(profiled, name, join(ctx.repoRoot, CONSUMERS_SCRIPT), [], serviceEnv(env), {
          cpuProfile: true,
        }),
      );
    }
    await sleep(3_000);
    const dead = consumers.find((c) => c.exited);
    if (dead) throw new Error(`${dead.name} exited at start:\n${await dead.logTail()}`);
    // The run's own database and vhost (bench/run.ts): nothing should be pending; if something is, it is
    // worked off first, or the measured orders queue behind it and the figure is about the backlog.
    const backlog = await waitForOutboxDrain(real.databaseUrl, 120_000);
    if (backlog > 0) result.notes.push(`${backlog} outbox rows were still pending when the load started.`);
    const extra = await registerCustomers(
      (apis[0] as Service).url,
      Math.max(0, CUSTOMER_SUBSCRIBERS - real.customers.length),
    );
    const customers = [...real.customers, ...extra].slice(0, CUSTOMER_SUBSCRIBERS);

    const spec: EndToEndSpec = {
      apiUrls: apis.map((a) => a.url),
      databaseUrl: real.databaseUrl,
      adminToken: real.admin.token,
      adminSocketUrl: sockets[0] as string,
      customers: customers.map((c, i) => ({
        id: c.id,
        token: c.token,
        socketUrl: sockets[i % sockets.length] as string,
      })),
      skuCount: SKU_COUNT,
      rates: timing.endToEndRates,
      phaseMs: timing.endToEndPhaseSeconds * 1000,
      drainMs: timing.endToEndDrainMs,
      tag: `1 Benchmark Road, Testville (${ctx.runId})`,
      watch: [
        ...apis.map((a, i) => ({ name: API_NAMES[i] as string, pid: a.child.pid })),
        ...consumers.map((c) => ({ name: c.name, pid: c.pid })),
      ],
    };
    const reply = await forkOnce<
      EndToEndSpec,
      { type: 'result'; result: EndToEndResult } | { type: 'error'; message: string }
    >(
      ctx,
      join(ctx.repoRoot, 'dist/bench/load/end-to-end.js'),
      spec,
      120_000 + spec.rates.length * (spec.phaseMs + spec.drainMs + 10_000) + spec.drainMs,
    );
    if (reply.type === 'error') throw new Error(`end-to-end load failed: ${reply.message}`);
    run = reply.result;
  } finally {
    // Stopped gracefully, each process writes its CPU profile as it exits.
    for (const child of [...consumers, ...apis.map((a) => a.child)]) await child.stop();
  }

  const outcomes = run.phases.map(outcomeOf);
  const holding = highestHoldingRate(outcomes);
  const atGoal = run.phases.find((p) => p.offeredPerSecond === GOAL_RATE);
  for (const phase of run.phases) result.figures.push(...phaseFigures(phase, phase === atGoal));
  result.figures.push(
    figure('highest offered rate that holds (0 missed, p99 < 1 s, PAID ≥ 95% of offered)', 'orders/s', holding, null, {
      text: `>= ${GOAL_RATE} orders/s`,
      test: (v) => v >= GOAL_RATE,
    }),
  );
  result.notes.push(
    `Open loop: at each offered rate, createOrder calls are sent on an even schedule for ${timing.endToEndPhaseSeconds} s whatever the service answers (a late reply never delays the next order), each by the next of ${CUSTOMER_SUBSCRIBERS} customers in turn, alternating over 2 API instances (RUN_CONSUMERS=false); 2 copies of \`node ${CONSUMERS_SCRIPT}\`; PAYMENT_SIMULATOR=true with no delay. On a database, RabbitMQ vhost and Redis prefix of its own, so no earlier scenario's events wait in the consumers' queues.`,
    `Subscribers, all from one load process with the stock graphql-ws client: one ADMIN (every order) on the first instance and ${CUSTOMER_SUBSCRIBERS} customers (\`orderStatusChanged\` without an id: their own orders), alternating over both instances; each retries on any close and resumes with its last \`cursor\` as \`after\`, and dedupes by (order, version) (docs/live.md). A warm-up order per customer gives every subscriber a cursor first${run.withoutCursor > 0 ? `; ${run.withoutCursor} still had none` : ''}.`,
    'Latency runs from the instant a createOrder was scheduled (so a slow sender cannot hide a wait) to its PAID change arriving at the customer\'s own subscriber, and at the ADMIN. PAID/s: PAID changes the ADMIN saw from 1 s into the phase to its end, per second. "Orders reaching PAID": orders of the phase the ADMIN saw PAID by the end of the drain.',
    `Missed: after each phase the bench waits (up to ${timing.endToEndDrainMs / 1000} s, and no longer than it takes) for its orders to be paid and delivered, so the next phase starts without its backlog, then holds every subscriber's deduplicated record against the change feed (\`order_changes\`) of the phase's orders it may see; what is still owed then is looked for again after the last phase (up to ${timing.endToEndDrainMs / 1000} s more), to tell late from lost. "Duplicates" counts the changes the dedupe dropped. The API instances and consumers run with \`--cpu-prof\` (the notes below come from those profiles).`,
  );
  for (const p of run.phases) result.notes.push(phaseNote(p));
  if (run.errors.length > 0) result.notes.push(`Subscriber errors: ${run.errors.join(' / ')}`);
  const profiledPhase =
    run.phases.find((p) => p.offeredPerSecond === holding) ?? atGoal ?? (run.phases[0] as PhaseResult | undefined);
  if (profiledPhase) result.notes.push(...(await cpuNotes(profiled.profileDir as string, profiledPhase, holding)));
  return result;
}

function outcomeOf(p: PhaseResult): RateOutcome {
  return {
    offeredPerSecond: p.offeredPerSecond,
    paidPerSecond: p.paidPerSecond,
    missed: p.missed,
    unexpected: p.unexpected,
    p99Ms: Math.max(p.customerLatencyMs.p99, p.adminLatencyMs.p99),
  };
}

function phaseFigures(p: PhaseResult, goal: boolean): Figure[] {
  const rate = `${p.offeredPerSecond}/s`;
  const under = goal ? { text: '< 1000 ms', test: (v: number) => v < 1000 } : undefined;
  return [
    figure(`${rate}: orders placed`, 'orders', p.placed, null),
    figure(`${rate}: orders reaching PAID`, 'orders', p.paid, null),
    figure(`${rate}: PAID orders/s`, 'orders/s', p.paidPerSecond, null),
    figure(`${rate}: createOrder → PAID, customer's subscriber: p50`, 'ms', nullIfNaN(p.customerLatencyMs.p50), null),
    figure(
      `${rate}: createOrder → PAID, customer's subscriber: p99`,
      'ms',
      nullIfNaN(p.customerLatencyMs.p99),
      null,
      under,
    ),
    figure(`${rate}: createOrder → PAID, ADMIN: p50`, 'ms', nullIfNaN(p.adminLatencyMs.p50), null),
    figure(`${rate}: createOrder → PAID, ADMIN: p99`, 'ms', nullIfNaN(p.adminLatencyMs.p99), null, under),
    figure(`${rate}: subscribers closed (each resumed)`, 'closes', p.closes, null),
    figure(
      `${rate}: changes missed after the drain`,
      'changes',
      p.missed + p.unexpected,
      null,
      goal ? { text: '= 0', test: (v) => v === 0 } : undefined,
    ),
    figure(`${rate}: of which never delivered (end of run)`, 'changes', p.missedAtEnd, null),
    figure(`${rate}: duplicates dropped by the dedupe`, 'changes', p.duplicates, null),
  ];
}

function nullIfNaN(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function phaseNote(p: PhaseResult): string {
  const codes = Object.entries(p.closeCodes)
    .map(([code, n]) => `${n}× ${code}`)
    .join(', ');
  const cpu = p.cpu.map((c) => `${c.name} ${c.cores === null ? 'n/a' : c.cores.toFixed(2)}`).join(', ');
  return [
    `${p.offeredPerSecond}/s: ${p.scheduled} scheduled, ${p.placed} placed, ${p.errors} failed${p.firstError ? ` (first: ${p.firstError})` : ''}, ${p.scheduled - p.placed - p.errors} unanswered at the end of the drain, ${p.inDatabase} in the database, ${p.paid} seen PAID;`,
    `${p.entitled} changes owed to the subscribers, ${p.missed} missed after the drain (${p.missedAtEnd} at the end of the run), ${p.unexpected} not in the database, ${p.duplicates} duplicates dropped, ${p.outOfOrder} out of order;`,
    `${p.closes} closes${codes ? ` (${codes})` : ''}; drained ${formatNumber(p.drainedInMs / 1000)} s after the phase; sender at most ${formatNumber(p.maxSendLagMs)} ms late;`,
    `CPU in cores during the phase: ${cpu}.`,
  ].join(' ');
}

/** Where the CPU went during one phase: the profiles of the API instances and the consumers, cut to its window. */
async function cpuNotes(dir: string, phase: PhaseResult, holding: number | null): Promise<string[]> {
  const read = async (names: string[]) => {
    const lists: SelfTime[][] = [];
    for (const name of names) {
      const text = await readFile(join(dir, `${name}.cpuprofile`), 'utf8').catch(() => null);
      if (text === null) continue;
      const rows = selfTimes(JSON.parse(text) as CpuProfile, phase.window);
      lists.push(rows.filter((r) => r.function !== '(idle)'));
    }
    return lists.length === 0 ? null : mergeSelfTimes(lists);
  };
  const top = (rows: SelfTime[] | null) =>
    rows === null
      ? 'no profile was written'
      : rows
          .slice(0, 6)
          .map((r) => `${r.function}${r.location ? ` (${r.location})` : ''} ${(r.share * 100).toFixed(1)}%`)
          .join('; ');
  const why =
    holding === null ? `no rate held; profiled at ${phase.offeredPerSecond}/s` : `the highest rate that holds`;
  return [
    `Where the CPU goes at ${phase.offeredPerSecond}/s (${why}), self time of busy samples within the phase: API instances: ${top(await read(API_NAMES))}.`,
    `Consumers: ${top(await read(CONSUMER_NAMES))}.`,
  ];
}

/** Polls the outbox until nothing is pending or `timeoutMs` passes; returns what is still pending. */
async function waitForOutboxDrain(databaseUrl: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await withClient(databaseUrl, async (c) => {
      const { rows } = await c.query<{ n: string }>('select count(*) as n from outbox where sent_at is null');
      return Number(rows[0]?.n ?? 0);
    });
    if (pending === 0 || Date.now() > deadline) return pending;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
