// Rate limits hold under concurrency (SPEC section 13): N parallel calls, one
// HTTP batch of N operations, N aliased root fields in one operation, and N
// calls split across two instances of one deployment let at most the limit
// through. Counted over Redis and in this process alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateOrderDocument, LoginDocument, RegisterDocument } from '../generated/graphql.js';
import { codes, type GraphQLResponse } from '../support/client.js';
import { addProduct, newCustomer, startTestApp, uniqueEmail, type TestApp } from '../support/harness.js';
import { testServices } from '../support/services.js';

const LIMITS = {
  RATE_LIMIT_LOGIN: '10/1m',
  RATE_LIMIT_LOGIN_IP: '100000/1m',
  RATE_LIMIT_CREATE_ORDER: '5/1m',
  RATE_LIMIT_DEFAULT: '5/1m',
  // Under a burst on a busy machine a slow Redis answer would fail open (admit) by design; these tests
  // are about counting, so give Redis time to answer.
  REDIS_COMMAND_TIMEOUT_MS: '5000',
};
const PASSWORD = 'password-123';

/** How many of the answers got past the limits (whatever else they said). */
function admitted(results: GraphQLResponse<unknown>[]): number {
  return results.filter((r) => !codes(r).includes('RATE_LIMITED')).length;
}

async function registered(t: TestApp): Promise<string> {
  const email = uniqueEmail();
  await t.client.ok(RegisterDocument, { input: { email, password: PASSWORD } });
  return email;
}

/** One HTTP request carrying `operations` as a batch; the answers in order. */
async function batch(t: TestApp, operations: { query: string; variables?: unknown }[]) {
  const response = await fetch(t.app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(operations),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as GraphQLResponse<unknown>[];
}

const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }';

const modes: { name: string; env: Record<string, string>; runs: boolean }[] = [
  { name: 'over Redis', env: {}, runs: Boolean(testServices.redisUrl) },
  { name: 'in this process (no REDIS_URL)', env: { REDIS_URL: '' }, runs: true },
];

describe.each(modes.filter((m) => m.runs))('rate limits under concurrency, $name', ({ env }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ...LIMITS, ...env });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('100 parallel logins for one email: exactly the limit get through', async () => {
    const email = await registered(t);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.client.request(LoginDocument, { input: { email, password: i % 2 ? PASSWORD : 'wrong-password' } }),
      ),
    );
    expect(admitted(results)).toBe(10);
    for (const r of results) expect(codes(r)).not.toContain('INTERNAL_SERVER_ERROR');
  });

  it('one HTTP batch of 10 login operations: the limit holds', async () => {
    const email = await registered(t);
    // Spend 7 of the 10 first, so the batch alone is over the limit.
    for (let i = 0; i < 7; i++) {
      await t.client.request(LoginDocument, { input: { email, password: 'wrong-password' } });
    }
    const answers = await batch(
      t,
      Array.from({ length: 10 }, () => ({ query: LOGIN, variables: { input: { email, password: PASSWORD } } })),
    );
    expect(answers).toHaveLength(10);
    expect(admitted(answers)).toBe(3);
  });

  it('aliased login fields in one operation: the limit holds', async () => {
    const email = await registered(t);
    const fields = Array.from({ length: 15 }, (_, i) => `l${i}: login(input: $input) { accessToken }`);
    const result = await t.client.request(`mutation($input: LoginInput!) { ${fields.join(' ')} }`, {
      input: { email, password: PASSWORD },
    });
    // Mutation fields run one after another; login is non-null, so the first refusal ends the operation.
    expect(codes(result)).toEqual(['RATE_LIMITED']);
    expect(result.errors?.[0]?.path).toEqual(['l10']);
  });

  it('aliased query fields in one operation (resolved in parallel): the limit holds', async () => {
    const sku = await addProduct(t, { stock: 10 });
    const customer = await newCustomer(t);
    const { createOrder } = await customer.client.ok(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 1 }], shippingAddress: '1 Alias Road' },
    });
    // `order` is nullable, so every field answers on its own: the order, or its refusal.
    const fields = Array.from({ length: 20 }, (_, i) => `o${i}: order(id: $id) { id }`);
    const result = await customer.client.request<Record<string, { id: string } | null>, { id: string }>(
      `query($id: ID!) { ${fields.join(' ')} }`,
      { id: createOrder.id },
    );
    const answered = Object.values(result.data ?? {}).filter((o) => o?.id === createOrder.id);
    expect(answered).toHaveLength(5);
    expect(codes(result)).toEqual(Array.from({ length: 15 }, () => 'RATE_LIMITED'));
  });

  it('createOrder in parallel for one customer: exactly the limit are placed', async () => {
    const sku = await addProduct(t, { stock: 1000 });
    const customer = await newCustomer(t);
    const input = { items: [{ sku, quantity: 1 }], shippingAddress: '1 Burst Lane' };
    const results = await Promise.all(
      Array.from({ length: 30 }, () => customer.client.request(CreateOrderDocument, { input })),
    );
    expect(admitted(results)).toBe(5);
    expect(results.filter((r) => codes(r).length === 0)).toHaveLength(5);
  });
});

describe.runIf(testServices.redisUrl)('rate limits under concurrency, two instances of one deployment', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp(LIMITS);
    b = await startTestApp({}, { shareWith: a });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('100 parallel logins for one email split across both: exactly the limit get through', async () => {
    const email = await registered(a);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 ? a : b).client.request(LoginDocument, { input: { email, password: 'wrong-password' } }),
      ),
    );
    expect(admitted(results)).toBe(10);
  });
});
