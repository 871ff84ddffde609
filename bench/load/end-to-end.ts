// The end-to-end load process: one ADMIN graphql-ws subscription watches
// every order while `concurrency` clients place orders round-robin over the
// API instances; an order counts when its PAID change arrives.
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createOrderCall, send } from '../lib/http.js';
import { STATUS_SUBSCRIPTION } from '../lib/queries.js';
import { summarize, type LatencySummary } from '../lib/stats.js';

export interface EndToEndSpec {
  apiUrls: string[];
  subscribeUrl: string;
  adminToken: string;
  tokens: string[];
  skuCount: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** How long after the load stops a PAID may still arrive and count. */
  drainMs: number;
}

export interface EndToEndResult {
  paidPerSecond: number;
  created: number;
  paid: number;
  errors: number;
  firstError: string | null;
  latencyMs: LatencySummary;
}

export async function runEndToEnd(spec: EndToEndSpec): Promise<EndToEndResult> {
  const paidAt = new Map<string, number>();
  let subscriptionError: string | null = null;
  const subscribed = new Promise<void>((resolve, reject) => {
    const client = createClient({
      url: spec.subscribeUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${spec.adminToken}` },
      lazy: false,
      retryAttempts: 0,
      on: { connected: () => resolve(), error: (e) => reject(e instanceof Error ? e : new Error(String(e))) },
    });
    client.subscribe(
      { query: STATUS_SUBSCRIPTION },
      {
        next: (result) => {
          if (result.errors?.length) subscriptionError ??= JSON.stringify(result.errors).slice(0, 300);
          const change = (result.data as { orderStatusChanged?: { status: string; order: { id: string } } } | null)
            ?.orderStatusChanged;
          if (change?.status === 'PAID' && !paidAt.has(change.order.id)) paidAt.set(change.order.id, performance.now());
        },
        // A subscription that ends or fails would show as "0 seen PAID": say why instead.
        error: (e) => {
          subscriptionError ??= `subscription failed: ${JSON.stringify(e).slice(0, 300)}`;
        },
        complete: () => {
          subscriptionError ??= 'the subscription was completed by the server';
        },
      },
    );
  });
  await subscribed;
  await new Promise((resolve) => setTimeout(resolve, 500));

  const urls = spec.apiUrls.map((u) => new URL(u));
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const startedAt = new Map<string, number>();
  const t0 = performance.now();
  const measureFrom = t0 + spec.warmupMs;
  const deadline = measureFrom + spec.durationMs;
  let errors = 0;
  let firstError: string | null = null;
  let sent = 0;
  await Promise.all(
    Array.from({ length: spec.concurrency }, async (_, client) => {
      while (performance.now() < deadline) {
        const url = urls[sent++ % urls.length] as URL;
        const began = performance.now();
        try {
          const { body: text } = await send(
            agent,
            url,
            createOrderCall(url, spec.tokens[client % spec.tokens.length] as string, spec.skuCount),
          );
          const id = (JSON.parse(text) as { data?: { createOrder?: { id: string } } }).data?.createOrder?.id;
          if (!id) throw new Error(text.slice(0, 300));
          if (began >= measureFrom) startedAt.set(id, began);
        } catch (error) {
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  agent.destroy();
  const drainUntil = performance.now() + spec.drainMs;
  while (performance.now() < drainUntil && [...startedAt.keys()].some((id) => !paidAt.has(id))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const latencies: number[] = [];
  for (const [id, began] of startedAt) {
    const paid = paidAt.get(id);
    if (paid !== undefined) latencies.push(paid - began);
  }
  return {
    paidPerSecond: latencies.length / (spec.durationMs / 1000),
    created: startedAt.size,
    paid: latencies.length,
    errors,
    firstError: firstError ?? subscriptionError,
    latencyMs: summarize(latencies),
  };
}

if (process.send) {
  process.once('message', (spec: EndToEndSpec) => {
    runEndToEnd(spec).then(
      (result) => process.send?.({ type: 'result', result }, () => process.exit(0)),
      (error: unknown) =>
        process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) }, () =>
          process.exit(1),
        ),
    );
  });
}
