// Rate limits (RATE_LIMITED with retryAfter) and cost limits (QUERY_TOO_COMPLEX),
// over HTTP and over the socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_LIMITS } from '../../src/limits/operation-limits.js';
import { CreateOrderDocument, LoginDocument, MeDocument, RegisterDocument } from '../generated/graphql.js';
import { codes } from '../support/client.js';
import { addProduct, newCustomer, startTestApp, uniqueEmail, type TestApp } from '../support/harness.js';
import { executeOverSocket, liveClient, waitFor, type LiveClient } from '../support/live.js';

let t: TestApp;
const open: LiveClient[] = [];
beforeAll(async () => {
  t = await startTestApp({
    RATE_LIMIT_LOGIN: '3/1m',
    RATE_LIMIT_LOGIN_IP: '1000/1m',
    RATE_LIMIT_CREATE_ORDER: '2/1m',
  });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.dispose()));
  await t?.stop();
});

function retryAfterOf(result: { errors?: { extensions?: Record<string, unknown> }[] }): unknown {
  return result.errors?.[0]?.extensions?.retryAfter;
}

describe('rate limits', () => {
  it('login per email: the fourth attempt in a minute is RATE_LIMITED with retryAfter, other emails are not', async () => {
    const email = uniqueEmail();
    await t.client.ok(RegisterDocument, { input: { email, password: 'password-123' } });
    for (let i = 0; i < 3; i++) {
      expect(codes(await t.client.request(LoginDocument, { input: { email, password: 'wrong-password' } }))).toEqual([
        'INVALID_CREDENTIALS',
      ]);
    }
    // The limit counts the address, whatever its case: the right password does not get past it either.
    const limited = await t.client.request(LoginDocument, {
      input: { email: email.toUpperCase(), password: 'password-123' },
    });
    expect(codes(limited)).toEqual(['RATE_LIMITED']);
    expect(retryAfterOf(limited)).toBeGreaterThanOrEqual(1);
    expect(retryAfterOf(limited)).toBeLessThanOrEqual(60);
    const other = uniqueEmail();
    expect(codes(await t.client.request(LoginDocument, { input: { email: other, password: 'password-123' } }))).toEqual(
      ['INVALID_CREDENTIALS'],
    );
  });

  it('createOrder per user, over HTTP and the socket alike', async () => {
    const sku = await addProduct(t, { stock: 100 });
    const customer = await newCustomer(t);
    const input = { items: [{ sku, quantity: 1 }], shippingAddress: 'Limit Road' };
    await customer.client.ok(CreateOrderDocument, { input });
    const live = liveClient(t.app.url, `Bearer ${customer.token}`);
    open.push(live);
    const overSocket = await executeOverSocket(
      live,
      'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
      { input },
    );
    expect(overSocket.errors).toBeUndefined();
    const third = await customer.client.request(CreateOrderDocument, { input });
    expect(codes(third)).toEqual(['RATE_LIMITED']);
    expect(retryAfterOf(third)).toBeGreaterThanOrEqual(1);
    // Another customer has their own allowance.
    const other = await newCustomer(t);
    expect(codes(await other.client.request(CreateOrderDocument, { input }))).toEqual([]);
  });
});

describe('rate limits on a fresh instance', () => {
  it('register per IP and the default per caller', async () => {
    const small = await startTestApp({ RATE_LIMIT_REGISTER: '2/1m', RATE_LIMIT_DEFAULT: '3/1m' });
    try {
      const register = () =>
        small.client.request(RegisterDocument, { input: { email: uniqueEmail(), password: 'password-123' } });
      const first = await register();
      expect(codes(first)).toEqual([]);
      expect(codes(await register())).toEqual([]);
      const third = await register();
      expect(codes(third)).toEqual(['RATE_LIMITED']);
      expect(retryAfterOf(third)).toBeGreaterThanOrEqual(1);

      const me = small.client.as(first.data!.register.accessToken);
      for (let i = 0; i < 3; i++) expect(codes(await me.request(MeDocument))).toEqual([]);
      expect(codes(await me.request(MeDocument))).toEqual(['RATE_LIMITED']);
    } finally {
      await small.stop();
    }
  });
});

const deepQuery = (depth: number) => `query { ${'me { '.repeat(depth - 1)}id${' }'.repeat(depth - 1)} }`;
const aliasQuery = (count: number) =>
  `query { ${Array.from({ length: count }, (_, i) => `a${i}: products { sku }`).join(' ')} }`;

function limitOf(errors: { extensions?: Record<string, unknown> }[] | undefined) {
  return errors?.find((e) => e.extensions?.code === 'QUERY_TOO_COMPLEX')?.extensions;
}

describe('cost limits', () => {
  it('a depth-25 query is refused over HTTP and over the socket', async () => {
    const customer = await newCustomer(t);
    const http = await customer.client.request(deepQuery(25));
    expect(http.status).toBe(400);
    expect(limitOf(http.errors)).toMatchObject({ limit: 'depth', maximum: OPERATION_LIMITS.maxDepth, actual: 25 });
    const live = liveClient(t.app.url, `Bearer ${customer.token}`);
    open.push(live);
    const ws = await executeOverSocket(live, deepQuery(25));
    expect(limitOf(ws.errors)).toMatchObject({ limit: 'depth', actual: 25 });
  });

  it('300 aliases are refused over HTTP and over the socket', async () => {
    const customer = await newCustomer(t);
    const http = await customer.client.request(aliasQuery(300));
    expect(http.status).toBe(400);
    expect(limitOf(http.errors)).toMatchObject({ limit: 'aliases', maximum: OPERATION_LIMITS.maxAliases, actual: 300 });
    const live = liveClient(t.app.url, `Bearer ${customer.token}`);
    open.push(live);
    const ws = await executeOverSocket(live, aliasQuery(300));
    expect(limitOf(ws.errors)).toMatchObject({ limit: 'aliases', actual: 300 });
    // Under the bound the same shape runs.
    expect(codes(await customer.client.request(aliasQuery(5)))).toEqual([]);
  });

  it('an operation over the complexity budget is refused; under it, extensions.cost reports the price', async () => {
    const customer = await newCustomer(t);
    // Each page: 2 + 100 × 6 = 602; two of them are over the budget of 1000.
    const page =
      'orders(first: 100) { edges { node { items { sku } customer { id } history { id } total { amount } } } }';
    const expensive = `query { a: ${page} b: ${page} }`;
    const http = await customer.client.request(expensive);
    expect(http.status).toBe(400);
    expect(limitOf(http.errors)).toMatchObject({
      limit: 'complexity',
      maximum: OPERATION_LIMITS.maxCost,
      actual: 1204,
    });
    const live = liveClient(t.app.url, `Bearer ${customer.token}`);
    open.push(live);
    expect(limitOf((await executeOverSocket(live, expensive)).errors)).toMatchObject({ limit: 'complexity' });

    const response = await fetch(t.app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` },
      body: JSON.stringify({ query: 'query { orders(first: 10) { edges { node { id total { amount } } } } }' }),
    });
    const body = (await response.json()) as { extensions?: { cost?: unknown } };
    // orders: 2 + 10 × (edges 1 + node 1 + total 1)
    expect(body.extensions?.cost).toEqual({
      requestedQueryCost: 32,
      throttleStatus: { maximumAvailable: OPERATION_LIMITS.maxCost, currentlyAvailable: OPERATION_LIMITS.maxCost - 32 },
    });
  });

  it('an oversized batch is refused whole over HTTP; a small one runs', async () => {
    const post = (count: number) =>
      fetch(t.app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(Array.from({ length: count }, () => ({ query: '{ products { sku } }' }))),
      });
    const big = await post(OPERATION_LIMITS.maxBatch + 1);
    expect(big.status).toBe(400);
    const refused = (await big.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(refused.errors[0]!.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'batch',
      maximum: OPERATION_LIMITS.maxBatch,
      actual: OPERATION_LIMITS.maxBatch + 1,
    });
    const small = await post(2);
    expect(small.status).toBe(200);
    expect(((await small.json()) as unknown[]).length).toBe(2);
  });

  it('more operations at once on one socket than the bound are refused', async () => {
    const customer = await newCustomer(t);
    const live = liveClient(t.app.url, `Bearer ${customer.token}`);
    open.push(live);
    const errors: unknown[] = [];
    const max = OPERATION_LIMITS.maxOperationsPerSocket;
    for (let i = 0; i <= max; i++) {
      live.client.subscribe(
        { query: 'subscription { orderStatusChanged { status } }' },
        { next: () => undefined, error: (e) => errors.push(e), complete: () => undefined },
      );
    }
    const refused = await waitFor('a refusal', () => errors[0]);
    expect(limitOf(refused as { extensions?: Record<string, unknown> }[])).toMatchObject({
      limit: 'operations',
      maximum: max,
    });
  });
});
