// Scenario 4: orders/s from createOrder through the broker, the payment
// simulator and the payment consumer to PAID seen by a subscriber, with two
// API instances and two consumer copies; and the p99 of that latency.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SKU_COUNT, type RealServices } from '../lib/environment.js';
import { withClient } from '../lib/infra.js';
import { forkOnce, startNode, type BenchContext, type Child } from '../lib/infra.js';
import { figure, type ScenarioResult } from '../lib/results.js';
import { serviceEnv, startService, type Service } from '../lib/service.js';
import type { Timing } from '../lib/timing.js';
import type { EndToEndResult, EndToEndSpec } from '../load/end-to-end.js';
import { probeGraphqlWs } from './fanout.js';

const CONSUMERS_SCRIPT = 'dist/consumers/main.js';

export async function endToEndScenario(ctx: BenchContext, real: RealServices, timing: Timing): Promise<ScenarioResult> {
  const result: ScenarioResult = {
    id: 'e2e',
    title: '4. End to end: createOrder → payment → PAID seen live',
    baseline: 'none: held against the absolute goal (>= 300 orders/s, p99 < 1 s).',
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
  const env = { ...real.env, RUN_CONSUMERS: 'false', PAYMENT_SIMULATOR: 'true', PAYMENT_SIMULATOR_DELAY: '0s' };
  const apis: Service[] = [];
  const consumers: Child[] = [];
  try {
    for (const name of ['e2e-api-1', 'e2e-api-2']) apis.push(await startService(ctx, name, env));
    const [first] = apis as [Service];
    const wsUrl = first.url.replace(/^http/, 'ws');
    const missing = await probeGraphqlWs(wsUrl, real.admin.token);
    if (missing !== null)
      return {
        ...result,
        status: 'not available',
        reason: `the service does not accept graphql-ws on /graphql: ${missing}`,
      };
    for (const name of ['e2e-consumers-1', 'e2e-consumers-2']) {
      consumers.push(
        await startNode(ctx, name, join(ctx.repoRoot, CONSUMERS_SCRIPT), [], serviceEnv(env), {
          cpuProfile: Boolean(ctx.profileDir),
        }),
      );
    }
    await sleep(3_000);
    const dead = consumers.find((c) => c.exited);
    if (dead) throw new Error(`${dead.name} exited at start:\n${await dead.logTail()}`);
    // Earlier scenarios ran on this database and vhost: let the consumers work off their outbox backlog
    // first, or the measured orders queue behind it and the figure is about the backlog, not the pipeline.
    const backlog = await waitForOutboxDrain(real.databaseUrl, 120_000);
    if (backlog > 0) result.notes.push(`${backlog} outbox rows were still pending when the load started.`);

    const spec: EndToEndSpec = {
      apiUrls: apis.map((a) => a.url),
      subscribeUrl: wsUrl,
      adminToken: real.admin.token,
      tokens: real.customers.map((c) => c.token),
      skuCount: SKU_COUNT,
      concurrency: timing.endToEndClients,
      warmupMs: timing.warmupMs,
      durationMs: timing.endToEndSeconds * 1000,
      drainMs: 10_000,
    };
    const reply = await forkOnce<
      EndToEndSpec,
      { type: 'result'; result: EndToEndResult } | { type: 'error'; message: string }
    >(
      ctx,
      join(ctx.repoRoot, 'dist/bench/load/end-to-end.js'),
      spec,
      spec.warmupMs + spec.durationMs + spec.drainMs + 60_000,
    );
    if (reply.type === 'error') throw new Error(`end-to-end load failed: ${reply.message}`);
    const r = reply.result;
    result.figures.push(
      figure('orders/s reaching PAID', 'orders/s', r.paidPerSecond, null, {
        text: '>= 300 orders/s',
        test: (v) => v >= 300,
      }),
      figure('createOrder → PAID seen: p50', 'ms', r.latencyMs.p50, null),
      figure('createOrder → PAID seen: p99', 'ms', r.latencyMs.p99, null, { text: '< 1000 ms', test: (v) => v < 1000 }),
    );
    result.notes.push(
      `${spec.concurrency} clients placing orders round-robin over 2 API instances (RUN_CONSUMERS=false), 2 copies of \`node ${CONSUMERS_SCRIPT}\`, PAYMENT_SIMULATOR=true with no delay, one ADMIN subscriber on the first instance; ${timing.endToEndSeconds} s measured after ${timing.warmupMs / 1000} s of warm-up.`,
      `${r.created} orders placed in the window, ${r.paid} seen PAID (within 10 s after the load stopped), ${r.errors} failed createOrder calls${r.firstError ? ` (first: ${r.firstError})` : ''}.`,
    );
    return result;
  } finally {
    for (const child of [...consumers, ...apis.map((a) => a.child)]) await child.stop();
  }
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
