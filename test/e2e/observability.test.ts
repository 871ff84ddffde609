// What an operator sees: liveness, readiness, request ids in the logs, and
// Prometheus metrics, through the running service's HTTP endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { MeDocument, ProductsDocument } from '../generated/graphql.js';
import { codes } from '../support/client.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

type LogLine = Record<string, unknown>;
const lines: LogLine[] = [];
/** The lines as written: parsing would collapse a repeated key into one. */
const rawLines: string[] = [];
const logger = createLogger('info', 'order-service', {
  destination: {
    write: (line: string) => {
      rawLines.push(line);
      lines.push(JSON.parse(line) as LogLine);
    },
  },
});

let t: TestApp;
let base: string;
let testDependencyDown = false;
beforeAll(async () => {
  t = await startTestApp({}, { logger });
  base = new URL(t.app.url).origin;
  t.app.readiness.register({
    name: 'test-dependency',
    critical: false,
    check: async () => {
      if (testDependencyDown) throw new Error('unreachable');
    },
  });
});
afterAll(async () => {
  await t?.stop();
});

/** The value of one sample in Prometheus text, e.g. sample(text, 'x_total', {code: 'A'}). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

describe('/healthz and /readyz', () => {
  it('/healthz says the process is alive', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is ready when every dependency answers', async () => {
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ready',
      checks: { database: 'up', 'test-dependency': 'up' },
      degraded: [],
    });
  });

  it('/readyz stays 200 but says degraded, naming it, when a non-critical dependency is down', async () => {
    testDependencyDown = true;
    try {
      const response = await fetch(`${base}/readyz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'degraded',
        checks: { database: 'up', 'test-dependency': 'down' },
        degraded: ['test-dependency'],
      });
    } finally {
      testDependencyDown = false;
    }
  });

  it('/readyz answers 503 while the database is unreachable, and ready again when it is back', async () => {
    let proxy: TcpProxy | undefined;
    const cut = await startTestApp(
      {},
      {
        databaseUrl: async (url) => {
          proxy = await startTcpProxy(url);
          return proxy.url;
        },
      },
    );
    try {
      const readyz = `${new URL(cut.app.url).origin}/readyz`;
      expect((await fetch(readyz)).status).toBe(200);
      proxy!.cut();
      const down = await fetch(readyz);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ status: 'unavailable', checks: { database: 'down' } });
      // Liveness does not depend on the database: restarting the process would not bring it back.
      expect((await fetch(`${new URL(cut.app.url).origin}/healthz`)).status).toBe(200);
      proxy!.restore();
      await expect.poll(async () => (await fetch(readyz)).status, { timeout: 10_000 }).toBe(200);
    } finally {
      await cut.stop();
      await proxy?.close();
    }
  });
});

describe('request ids and access logs', () => {
  it("echoes the caller's x-request-id and writes one access-log line carrying it and the operation", async () => {
    const result = await t.client.request(ProductsDocument, {}, { 'x-request-id': 'checkout-7f3a' });
    expect(result.errors).toBeUndefined();
    const response = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'probe-1' } });
    expect(response.headers.get('x-request-id')).toBe('probe-1');

    const access = lines.filter((l) => l.msg === 'request' && l.requestId === 'checkout-7f3a');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: 30,
      method: 'POST',
      path: '/graphql',
      status: 200,
      operationName: 'Products',
      requestId: 'checkout-7f3a',
    });
    expect(access[0]!.durationMs).toEqual(expect.any(Number));
  });

  it('replaces a missing or unusable x-request-id with a fresh one', async () => {
    const response = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const plain = await fetch(`${base}/healthz`);
    expect(plain.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(plain.headers.get('x-request-id')).not.toBe(id);
  });

  it('writes every line as JSON with a single requestId key', () => {
    // Lines of request-scoped child loggers (which bind the id themselves) are among them.
    const withId = rawLines.filter((line) => line.includes('"requestId"'));
    expect(withId.length).toBeGreaterThan(0);
    for (const line of withId) expect(line.split('"requestId"').length, line).toBe(2);
  });
});

describe('/metrics', () => {
  it('times GraphQL operations by name and type, and counts errors by code', async () => {
    const before = await scrape();
    const products = sample(before, 'graphql_operation_duration_seconds_count', {
      operation_name: 'Products',
      operation_type: 'query',
    });
    const unauthenticated = sample(before, 'graphql_errors_total', { code: 'UNAUTHENTICATED' }) ?? 0;

    await t.client.request(ProductsDocument);
    await t.client.request(ProductsDocument);
    expect(codes(await t.client.request(MeDocument))).toEqual(['UNAUTHENTICATED']);

    const after = await scrape();
    expect(
      sample(after, 'graphql_operation_duration_seconds_count', {
        operation_name: 'Products',
        operation_type: 'query',
      }),
    ).toBe((products ?? 0) + 2);
    expect(sample(after, 'graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBe(unauthenticated + 1);
  });

  it('exports process metrics, the outbox backlog and the websocket, subscription and message metrics', async () => {
    const text = await scrape();
    expect(sample(text, 'process_cpu_user_seconds_total')).toEqual(expect.any(Number));
    expect(sample(text, 'outbox_pending_messages')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'graphql_ws_connections_open')).toBe(0);
    expect(sample(text, 'graphql_subscriptions_active')).toEqual(expect.any(Number));
    for (const name of [
      'messages_consumed_total',
      'messages_retried_total',
      'messages_dead_lettered_total',
      'cache_lookups_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} counter`);
    }
  });
});
