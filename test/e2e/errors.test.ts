// Unexpected failures are masked for the client and logged with the request id.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CreateOrderDocument, OrderDocument } from '../generated/graphql.js';
import { newCustomer, startTestApp, type TestApp } from '../support/harness.js';

let t: TestApp;
const lines: Record<string, unknown>[] = [];
beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  t = await startTestApp({}, { logger: pino({ level: 'error' }, sink) });
});
afterAll(async () => {
  await t?.stop();
});

it('masks a database failure: no SQL, no stack, a request id that is in the log', async () => {
  const customer = await newCustomer(t);
  const { createOrder } = await customer.client.ok(CreateOrderDocument, {
    input: { items: [{ sku: 'MUG-LOGO', quantity: 1 }], shippingAddress: 'x' },
  });
  // Break the history table under the running service.
  await t.app.orm.em.fork().execute('alter table order_history rename to order_history_gone');

  const result = await customer.client.request(OrderDocument, { id: createOrder.id });

  expect(result.errors).toHaveLength(1);
  const [error] = result.errors!;
  expect(error!.message).toBe('Internal server error');
  expect(error!.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  const body = JSON.stringify(result);
  expect(body).not.toMatch(/order_history|select|relation|stack|\.ts:|node_modules/i);
  const requestId = error!.extensions?.requestId;
  expect(typeof requestId).toBe('string');
  expect(lines.some((l) => l.requestId === requestId && JSON.stringify(l).includes('order_history'))).toBe(true);
});
