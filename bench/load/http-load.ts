// A closed-loop HTTP load generator, forked by the runner: `concurrency`
// clients each send a request, wait for its answer and send the next, over
// keep-alive sockets, for a bounded time. Requests that finish during the
// warm-up are not counted.
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createOrderCall, graphqlCall, send, type Call } from '../lib/http.js';
import { ORDER_READ_QUERY } from '../lib/queries.js';
import { summarize } from '../lib/stats.js';
import type { HttpLoadResult, HttpLoadSpec, LoadReply, LoadRequest, RequestPlan } from './protocol.js';

/** Returns the next call for client `client`, or null when the plan has run out. */
function planner(spec: HttpLoadSpec): (client: number) => Call | null {
  const base = new URL(spec.url);
  const plan: RequestPlan = spec.plan;
  let next = 0;
  const nextId = (ids: string[], once: boolean): string | null => {
    if (ids.length === 0 || (once && next >= ids.length)) return null;
    return ids[next++ % ids.length] as string;
  };
  switch (plan.kind) {
    case 'createOrder':
      return (client) => createOrderCall(base, plan.tokens[client % plan.tokens.length] as string, plan.skuCount);
    case 'orderRead':
      return () => {
        const id = nextId(plan.ids, plan.once);
        return id === null ? null : graphqlCall(base, plan.token, { query: ORDER_READ_QUERY, variables: { id } });
      };
    case 'get':
      return () => {
        const id = nextId(plan.ids, plan.once);
        return id === null ? null : { method: 'GET', path: `${base.pathname.replace(/\/$/, '')}/${id}`, headers: {} };
      };
  }
}

export async function runHttpLoad(spec: HttpLoadSpec): Promise<HttpLoadResult> {
  const url = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const nextCall = planner(spec);
  const started = performance.now();
  const measureFrom = started + spec.warmupMs;
  const deadline = measureFrom + spec.durationMs;
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | null = null;
  let lastFinish = measureFrom;

  const client = async (index: number) => {
    while (performance.now() < deadline) {
      const call = nextCall(index);
      if (!call) return;
      const t0 = performance.now();
      let failure: string | null = null;
      try {
        const res = await send(agent, url, call);
        // A GraphQL answer with `errors` is a failed request even with status 200.
        if (res.status !== 200 || res.body.includes('"errors"')) failure = `${res.status} ${res.body.slice(0, 300)}`;
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
      const t1 = performance.now();
      if (t0 < measureFrom || t1 > deadline) continue;
      lastFinish = t1;
      if (failure === null) {
        ok++;
        latencies.push(t1 - t0);
      } else {
        errors++;
        firstError ??= failure;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, i) => client(i)));
  agent.destroy();
  // A plan that ran out early (cold reads) is measured over the time it really ran.
  const windowMs = Math.max(1, Math.min(spec.durationMs, lastFinish - measureFrom));
  return {
    perSecond: ok / (windowMs / 1000),
    ok,
    errors,
    firstError,
    latencyMs: summarize(latencies),
    windowSeconds: windowMs / 1000,
  };
}

// Forked by the runner: one request in, one reply out, then exit.
if (process.send) {
  process.once('message', (message: LoadRequest) => {
    runHttpLoad(message.spec).then(
      (result) => process.send?.({ type: 'result', result } satisfies LoadReply, () => process.exit(0)),
      (error: unknown) =>
        process.send?.(
          { type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies LoadReply,
          () => process.exit(1),
        ),
    );
  });
}
