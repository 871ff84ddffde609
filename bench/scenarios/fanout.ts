// Scenario 3: one status change fanned out to N authenticated graphql-ws
// subscribers (an ADMIN subscribed to every order) on one instance: time
// from changedAt to arrival on each socket, and the instance's memory per
// open subscription; against a plain `ws` server broadcasting the same
// payload to as many sockets.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { RealServices } from '../lib/environment.js';
import { freePort, startNode, startWorker, waitForHttp, type BenchContext, type Child } from '../lib/infra.js';
import { CREATE_ORDER_MUTATION, UPDATE_STATUS_MUTATION } from '../lib/queries.js';
import { figure, type Figure, type ScenarioResult } from '../lib/results.js';
import { graphql, startService, scrapeMetrics } from '../lib/service.js';
import { benchSku } from '../lib/skus.js';
import { summarize } from '../lib/stats.js';
import type { Timing } from '../lib/timing.js';
import type { SubscriberReply, SubscriberRequest } from '../load/subscribers.js';

const SUBSCRIBER_PROCESSES = 2;
const MiB = 1024 * 1024;
/** Issue goal at the largest count: p99 and memory per subscription at most twice a plain `ws` broadcast's. */
const MAX_RATIO_TO_WS = 2;

/**
 * Whether the server speaks graphql-ws on this URL with this token: null if
 * it acknowledges a connection, else why not.
 */
export function probeGraphqlWs(url: string, token: string, timeoutMs = 5_000): Promise<string | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'graphql-transport-ws');
    const done = (reason: string | null) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(reason);
    };
    const timer = setTimeout(() => done(`no connection_ack within ${timeoutMs} ms`), timeoutMs);
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type?: string };
      done(
        message.type === 'connection_ack'
          ? null
          : `answered ${data.toString().slice(0, 100)} instead of connection_ack`,
      );
    });
    ws.on('unexpected-response', (_req, res) =>
      done(`the server answered the websocket upgrade with HTTP ${res.statusCode}`),
    );
    ws.on('close', (code) => done(`the server closed the socket (${code})`));
    ws.on('error', (error) => done(error.message));
  });
}

async function memoryOf(child: Child, base: string | null): Promise<number | null> {
  if (base) {
    const metrics = await scrapeMetrics(base);
    const rss = metrics?.get('process_resident_memory_bytes');
    if (rss !== undefined && Number.isFinite(rss)) return rss;
  }
  return child.rssBytes();
}

interface FanoutMeasure {
  latency: ReturnType<typeof summarize>;
  missing: number;
  connected: number;
  rssBefore: number | null;
  rssAfter: number | null;
  firstError: string | null;
}

/**
 * Opens `count` sockets from worker processes, fires `trigger` twice (the
 * first proves every subscription is live, the second is measured).
 */
async function fanOut(
  ctx: BenchContext,
  options: {
    mode: 'graphql-ws' | 'ws';
    url: string;
    token: string;
    count: number;
    trigger: () => Promise<void>;
    memory: () => Promise<number | null>;
  },
): Promise<FanoutMeasure> {
  const workers = Array.from({ length: SUBSCRIBER_PROCESSES }, () =>
    startWorker<SubscriberRequest, SubscriberReply>(ctx, join(ctx.repoRoot, 'dist/bench/load/subscribers.js')),
  );
  try {
    await sleep(500);
    const rssBefore = await options.memory();
    const connectTimeout = 30_000 + options.count * 10;
    const connected = await Promise.all(
      workers.map((w, i) =>
        w.ask(
          {
            type: 'connect',
            mode: options.mode,
            url: options.url,
            token: options.token,
            count:
              Math.floor(options.count / SUBSCRIBER_PROCESSES) + (i < options.count % SUBSCRIBER_PROCESSES ? 1 : 0),
            timeoutMs: connectTimeout,
          },
          connectTimeout + 30_000,
        ),
      ),
    );
    const open = connected.reduce((n, r) => n + (r.type === 'connected' ? r.connected : 0), 0);
    const firstError = connected.map((r) => (r.type === 'connected' ? r.firstError : null)).find(Boolean) ?? null;
    const waitFor = async (messages: number) => {
      const replies = await Promise.all(
        workers.map((w) => w.ask({ type: 'await', messages, timeoutMs: 30_000 }, 60_000)),
      );
      return {
        latencies: replies.flatMap((r) => (r.type === 'received' ? r.latenciesMs : [])),
        missing: replies.reduce((n, r) => n + (r.type === 'received' ? r.missing : 0), 0),
      };
    };
    // The first change only proves every subscription is registered server-side.
    await options.trigger();
    await waitFor(1);
    await sleep(500);
    const rssAfter = await options.memory();
    await options.trigger();
    const measured = await waitFor(2);
    return {
      latency: summarize(measured.latencies),
      missing: measured.missing,
      connected: open,
      rssBefore,
      rssAfter,
      firstError,
    };
  } finally {
    for (const w of workers) w.send({ type: 'close' });
    await Promise.all(workers.map((w) => w.stop()));
  }
}

function perSubscriptionKiB(m: FanoutMeasure): number | null {
  if (m.rssBefore === null || m.rssAfter === null || m.connected === 0) return null;
  return (m.rssAfter - m.rssBefore) / m.connected / 1024;
}

export async function fanoutScenario(ctx: BenchContext, real: RealServices, timing: Timing): Promise<ScenarioResult> {
  const figures: Figure[] = [];
  const notes: string[] = [];
  const customer = real.customers[0];
  if (!customer) throw new Error('no bench customer');
  let unavailable: string | null = null;

  for (const count of timing.subscriberCounts) {
    const largest = count === Math.max(...timing.subscriberCounts);
    let service: FanoutMeasure | null = null;
    if (unavailable === null) {
      // An API instance alone (RUN_CONSUMERS=false, as a scaled deployment runs it): the consumers would
      // spend this instance's memory and CPU on what earlier scenarios left in the queues, not on subscribers.
      const instance = await startService(ctx, `fanout-${count}`, { ...real.env, RUN_CONSUMERS: 'false' });
      try {
        const wsUrl = instance.url.replace(/^http/, 'ws');
        unavailable = await probeGraphqlWs(wsUrl, real.admin.token);
        if (unavailable === null) {
          const created = await graphql<{ createOrder: { id: string } }>(
            instance.url,
            CREATE_ORDER_MUTATION,
            { input: { items: [{ sku: benchSku(1), quantity: 1 }], shippingAddress: '1 Benchmark Road, Testville' } },
            customer.token,
          );
          const orderId = created.createOrder.id;
          const moves = ['PAID', 'SHIPPED'];
          service = await fanOut(ctx, {
            mode: 'graphql-ws',
            url: wsUrl,
            token: real.admin.token,
            count,
            memory: () => memoryOf(instance.child, instance.base),
            trigger: async () => {
              await graphql(
                instance.url,
                UPDATE_STATUS_MUTATION,
                { input: { orderId, status: moves.shift() } },
                real.admin.token,
              );
            },
          });
        }
      } finally {
        await instance.child.stop();
      }
    }

    const port = await freePort();
    const baselineChild = await startNode(
      ctx,
      `fanout-baseline-${count}`,
      join(ctx.repoRoot, 'dist/bench/baselines/ws-server.js'),
      [],
      {
        PORT: String(port),
      },
    );
    let baseline: FanoutMeasure;
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, baselineChild);
      baseline = await fanOut(ctx, {
        mode: 'ws',
        url: `ws://127.0.0.1:${port}/graphql`,
        token: '',
        count,
        memory: () => baselineChild.rssBytes(),
        trigger: async () => {
          await (await fetch(`http://127.0.0.1:${port}/broadcast`, { method: 'POST' })).text();
        },
      });
    } finally {
      await baselineChild.stop();
    }

    for (const [label, m] of [
      ['service', service],
      ['baseline', baseline],
    ] as const) {
      if (m && (m.connected < count || m.missing > 0)) {
        notes.push(
          `${count} subscribers, ${label}: ${m.connected} of ${count} connected, ${m.missing} got no message${m.firstError ? `; first error: ${m.firstError}` : ''}.`,
        );
      }
    }
    const rssMiB = (m: FanoutMeasure | null) => (m?.rssAfter == null ? null : m.rssAfter / MiB);
    figures.push(
      figure(`${count} subscribers: fan-out p50`, 'ms', service?.latency.p50 ?? null, baseline.latency.p50),
      figure(
        `${count} subscribers: fan-out p99`,
        'ms',
        service?.latency.p99 ?? null,
        baseline.latency.p99,
        largest
          ? {
              text: '< 1000 ms and <= 2x ws',
              test: (v, r) => (r === null ? null : v < 1000 && r <= MAX_RATIO_TO_WS),
            }
          : undefined,
      ),
      figure(
        `${count} subscribers: fan-out max (last subscriber)`,
        'ms',
        service?.latency.max ?? null,
        baseline.latency.max,
      ),
      figure(
        `${count} subscribers: memory per subscription`,
        'KiB',
        service ? perSubscriptionKiB(service) : null,
        perSubscriptionKiB(baseline),
        largest ? { text: '<= 2x ws', test: (_v, r) => (r === null ? null : r <= MAX_RATIO_TO_WS) } : undefined,
      ),
      figure(
        `${count} subscribers: instance RSS`,
        'MiB',
        rssMiB(service),
        rssMiB(baseline),
        largest ? { text: '< 1024 MiB', test: (v) => v < 1024 } : undefined,
      ),
    );
  }

  return {
    id: 'fanout',
    title: '3. Subscription fan-out (graphql-ws)',
    baseline:
      'a plain `ws` server (bench/baselines/ws-server.ts) sending the same graphql-ws `next` message to as many sockets.',
    status: unavailable === null ? 'ok' : 'not available',
    reason: unavailable === null ? undefined : `the service does not accept graphql-ws on /graphql: ${unavailable}`,
    figures,
    notes: [
      `Subscribers: ${timing.subscriberCounts.join(', ')}, spread over ${SUBSCRIBER_PROCESSES} load processes, each an ADMIN subscription to every order (\`orderStatusChanged\` without an id), authenticated by \`connectionParams.authorization\`; a fresh API instance for each count, alone (RUN_CONSUMERS=false: no consumers working off what earlier scenarios queued). A first status change proves every subscription live; the second is measured: latency = arrival − \`changedAt\` (set in the transaction, just before commit, so it includes the commit).`,
      'Memory: RSS (from /metrics `process_resident_memory_bytes` when the instance has it, else /proc) after the subscriptions minus before, divided by the open subscriptions.',
      ...notes,
    ],
  };
}
