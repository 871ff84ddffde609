// Client input at the edge (SPEC section 13), through the GraphQL API: an
// idempotency key reused for another order is refused (in a race too), a
// line over MAX_LINE_QUANTITY is refused, and a NUL character in any string
// argument is BAD_USER_INPUT, logged as one info line and never an error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Order } from '../../src/orders/order.entity.js';
import { CreateOrderDocument } from '../generated/graphql.js';
import { codes, type GraphQLErrorBody } from '../support/client.js';
import { addProduct, newCustomer, startTestApp, stockOf, type TestApp } from '../support/harness.js';
import { executeOverSocket, liveClient } from '../support/live.js';
import { capturedLogs } from '../support/log-lines.js';

const { logger, lines } = capturedLogs('info');

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ MAX_LINE_QUANTITY: '5' }, { logger });
});
afterAll(async () => {
  await t?.stop();
});

describe('idempotency keys', () => {
  it('the same key with the same order answers the first order', async () => {
    const sku = await addProduct(t, { stock: 10 });
    const customer = await newCustomer(t);
    const input = { items: [{ sku, quantity: 2 }], shippingAddress: '1 Retry Road', idempotencyKey: 'same-1' };
    const first = await customer.client.ok(CreateOrderDocument, { input });
    const again = await customer.client.ok(CreateOrderDocument, {
      input: { ...input, shippingAddress: ' 1 Retry Road ' },
    });
    expect(again.createOrder.id).toBe(first.createOrder.id);
    expect(await stockOf(t, sku)).toBe(8);
  });

  it('the same key with other items or another address is IDEMPOTENCY_KEY_REUSED, with nothing written', async () => {
    const sku = await addProduct(t, { stock: 10 });
    const customer = await newCustomer(t);
    const input = { items: [{ sku, quantity: 2 }], shippingAddress: '1 Retry Road', idempotencyKey: 'reused-1' };
    await customer.client.ok(CreateOrderDocument, { input });
    for (const other of [
      { ...input, items: [{ sku, quantity: 3 }] },
      { ...input, shippingAddress: '2 Other Street' },
    ]) {
      const result = await customer.client.request(CreateOrderDocument, { input: other });
      expect(result.data?.createOrder ?? null).toBeNull();
      expect(result.errors?.[0]?.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        reason: 'IDEMPOTENCY_KEY_REUSED',
        field: 'idempotencyKey',
      });
    }
    expect(await stockOf(t, sku)).toBe(8);
    expect(await t.app.orm.em.fork().count(Order, { customer: customer.id })).toBe(1);
  });

  it('two different orders racing with one key: one is placed, the other refused', async () => {
    for (let round = 0; round < 5; round++) {
      const sku = await addProduct(t, { stock: 100 });
      const customer = await newCustomer(t);
      const key = `race-${round}`;
      const results = await Promise.all(
        [1, 2].map((quantity) =>
          customer.client.request(CreateOrderDocument, {
            input: { items: [{ sku, quantity }], shippingAddress: 'x', idempotencyKey: key },
          }),
        ),
      );
      const placed = results.filter((r) => r.data?.createOrder);
      const refused = results.filter((r) => r.errors?.[0]?.extensions?.reason === 'IDEMPOTENCY_KEY_REUSED');
      expect(placed).toHaveLength(1);
      expect(refused).toHaveLength(1);
      // Stock moved once, by the order that was placed.
      const stock = await stockOf(t, sku);
      expect([98, 99]).toContain(stock);
      expect(await t.app.orm.em.fork().count(Order, { customer: customer.id })).toBe(1);
    }
  });
});

describe('MAX_LINE_QUANTITY', () => {
  it('refuses a line over the cap with BAD_USER_INPUT and takes no stock', async () => {
    const sku = await addProduct(t, { stock: 100 });
    const customer = await newCustomer(t);
    const result = await customer.client.request(CreateOrderDocument, {
      input: { items: [{ sku, quantity: 6 }], shippingAddress: 'x' },
    });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.extensions?.field).toBe('items.0.quantity');
    await customer.client.ok(CreateOrderDocument, { input: { items: [{ sku, quantity: 5 }], shippingAddress: 'x' } });
    expect(await stockOf(t, sku)).toBe(95);
  });
});

describe('a NUL character in any string', () => {
  const NUL = '\u0000';
  it('is BAD_USER_INPUT wherever it is: variables or literals, any field, HTTP or websocket', async () => {
    const customer = await newCustomer(t);
    lines.length = 0;
    const REFRESH = 'mutation($token: String!) { refreshToken(token: $token) { accessToken } }';
    const attempts: { errors?: GraphQLErrorBody[] }[] = [
      await t.client.request(REFRESH, { token: `abc${NUL}` }),
      // In the document itself, as a GraphQL escape.
      await t.client.request('mutation { refreshToken(token: "abc\\u0000") { accessToken } }'),
      await customer.client.request(CreateOrderDocument, {
        input: { items: [{ sku: `MUG${NUL}`, quantity: 1 }], shippingAddress: 'x' },
      }),
      await t.client.request('mutation($input: LoginInput!) { login(input: $input) { accessToken } }', {
        input: { email: `a${NUL}@example.com`, password: 'password-123' },
      }),
    ];
    const live = liveClient(t.app.url, `Bearer ${customer.token}`);
    try {
      attempts.push(await executeOverSocket(live, REFRESH, { token: `abc${NUL}` }));
    } finally {
      await live.dispose();
    }
    for (const result of attempts) {
      expect(result.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
        ['BAD_USER_INPUT', 'Strings must not contain NUL characters'],
      ]);
    }
    // Client mistakes: info lines without a stack, no error line.
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    const clientErrors = lines.filter((l) => l.msg === 'client error');
    expect(clientErrors.length).toBe(5);
    for (const line of clientErrors) expect(line.level).toBe(30);
    expect(clientErrors.every((l) => l.err === undefined)).toBe(true);
  });
});
