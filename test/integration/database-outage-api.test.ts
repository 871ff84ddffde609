// The API while PostgreSQL is away (through a TCP proxy the test owns): a
// client is told to try again in a way it can act on, SERVICE_UNAVAILABLE
// with extensions.retryAfter, and HTTP 503 with Retry-After where GraphQL
// over HTTP allows it (application/graphql-response+json and no data);
// never a masked INTERNAL_SERVER_ERROR with 200. Once it is back, the same
// request succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { print } from 'graphql';
import { CreateOrderDocument } from '../generated/graphql.js';
import { addProduct, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { testServices } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';
import { liveClient } from '../support/live.js';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

describe.runIf(testServices.databaseUrl)('the API while PostgreSQL is away', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  beforeAll(async () => {
    t = await startTestApp(
      {},
      {
        databaseUrl: async (url) => {
          proxy = await startTcpProxy(url);
          return proxy.url;
        },
      },
    );
  });
  afterAll(async () => {
    proxy?.restore();
    await t?.stop();
    await proxy?.close();
  });

  async function send(query: string, variables: unknown, headers: Record<string, string>): Promise<Answer> {
    const response = await fetch(t.app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as Answer['body'],
    };
  }

  it('answers SERVICE_UNAVAILABLE with retryAfter: 503 for graphql-response+json, 200 for json; then recovers', async () => {
    const sku = await addProduct(t, { stock: 10 });
    const customer = await newCustomer(t);
    const auth = { authorization: `Bearer ${customer.token}` };
    const order = { input: { items: [{ sku, quantity: 1 }], shippingAddress: '1 Outage Road', idempotencyKey: 'k-1' } };
    const CREATE = print(CreateOrderDocument);
    const unavailable = [{ message: expect.any(String), extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 5 } }];

    proxy.cut();
    try {
      for (const [query, variables, headers] of [
        [CREATE, order, auth],
        ['{ products { sku } }', {}, {}],
      ] as const) {
        const modern = await send(query, variables, { ...headers, accept: 'application/graphql-response+json' });
        expect(modern.status).toBe(503);
        expect(modern.retryAfter).toBe('5');
        expect(modern.body.errors).toMatchObject(unavailable);
        expect(modern.body.data ?? null).toBeNull();

        const legacy = await send(query, variables, { ...headers, accept: 'application/json' });
        expect(legacy.status).toBe(200);
        expect(legacy.body.errors).toMatchObject(unavailable);
      }
      // A websocket opened meanwhile is told to come back (1013, which clients retry), not an internal error (1011).
      const live = liveClient(t.app.url, `Bearer ${customer.token}`);
      try {
        await waitFor('the socket closed', () => live.closed);
        expect(live.closed).toMatchObject({ code: 1013 });
      } finally {
        await live.dispose();
      }
    } finally {
      proxy.restore();
    }

    // The client retries the same request, as told, and it goes through.
    const placed = await waitFor('the order placed after the outage', async () => {
      const answer = await send(CREATE, order, { ...auth, accept: 'application/graphql-response+json' });
      return answer.status === 200 && !answer.body.errors ? answer : undefined;
    });
    expect(placed.body.data).toMatchObject({ createOrder: { status: 'PENDING' } });
  });
});
