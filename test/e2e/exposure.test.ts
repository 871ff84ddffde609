// What the service shows of itself (SPEC section 13): no "Did you mean"
// hints where introspection is off, over HTTP and the websocket; security
// headers on every answer; /metrics apart from the public API on request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../support/client.js';
import { newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { executeOverSocket, liveClient } from '../support/live.js';

const MISSPELT_FIELD = '{ prodcts { sku } }';
const MISSPELT_ENUM = 'query($filter: OrderFilter) { orders(filter: $filter) { edges { node { id } } } }';

async function messagesOf(t: TestApp, token: string) {
  const field = await t.client.request(MISSPELT_FIELD);
  const enumValue = await t.client.as(token).request(MISSPELT_ENUM, { filter: { status: 'PENDNG' } });
  const live = liveClient(t.app.url, `Bearer ${token}`);
  try {
    const overSocket = await executeOverSocket(live, MISSPELT_FIELD);
    return {
      codes: [...codes(field), ...codes(enumValue)],
      messages: [field, enumValue, overSocket].flatMap((r) => (r.errors ?? []).map((e) => e.message)),
    };
  } finally {
    await live.dispose();
  }
}

describe('production (introspection off)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: 'production' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('gives no "Did you mean" hint for a misspelt field or enum value, over HTTP or the websocket', async () => {
    const customer = await newCustomer(t);
    const { codes: found, messages } = await messagesOf(t, customer.token);
    expect(found).toEqual(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);
    expect(messages).toHaveLength(3);
    for (const message of messages) expect(message).not.toMatch(/did you mean|products|PENDING/i);
  });

  it('sends nosniff, a frame policy, a referrer policy and, on GraphQL answers, no-store', async () => {
    const response = await fetch(t.app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products { sku } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    // Answers carry the caller's own data: no shared cache may keep them.
    expect(response.headers.get('cache-control')).toBe('no-store');
    const health = await fetch(new URL('/healthz', t.app.url));
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves /metrics on the API port by default', async () => {
    expect(t.app.metricsUrl).toBe(new URL('/metrics', t.app.url).href);
    const metrics = await fetch(t.app.metricsUrl);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('graphql_operation_duration_seconds');
  });
});

describe('development (introspection on)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ GRAPHQL_INTROSPECTION: 'true' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('keeps the hints where the schema is public anyway', async () => {
    const customer = await newCustomer(t);
    const { messages } = await messagesOf(t, customer.token);
    expect(messages.filter((m) => /did you mean/i.test(m))).toHaveLength(3);
  });
});

describe('METRICS_PORT', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('serves /metrics on its own listener and not on the public API', async () => {
    const apart = new URL(t.app.metricsUrl);
    expect(apart.port).not.toBe(String(t.app.port));
    const metrics = await fetch(apart);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('graphql_operation_duration_seconds');
    expect((await fetch(new URL('/metrics', t.app.url))).status).toBe(404);
    // Health and readiness stay where the load balancer looks.
    expect((await fetch(new URL('/readyz', t.app.url))).status).toBe(200);
  });
});
