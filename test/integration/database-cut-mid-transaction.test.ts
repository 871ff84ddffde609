// PostgreSQL cut again and again while transactions are in flight, through a
// TCP proxy the test owns. A transaction whose BEGIN, COMMIT or ROLLBACK meets
// the cut must still give its pooled connection back: with a pool of 3, three
// leaked connections would leave every later request waiting for a connection
// forever (the ORM's query builder leaked them before kysely 0.29.9:
// kysely-org/kysely#1990). Afterwards orders are placed as before and the app
// stops cleanly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelOrderDocument, CreateOrderDocument } from '../generated/graphql.js';
import { addProduct, newCustomer, startTestApp, type TestApp } from '../support/harness.js';
import { testServices } from '../support/services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { settle } from '../support/wait.js';

const POOL_SIZE = 3;
const ROUNDS = 12;
const IN_FLIGHT = 8;

// A real PostgreSQL only: the embedded PGlite lives inside the process, with no network to lose.
describe.runIf(testServices.databaseUrl)('PostgreSQL cut while transactions are in flight', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  beforeAll(async () => {
    t = await startTestApp(
      { DATABASE_POOL_SIZE: String(POOL_SIZE) },
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
    await answered(t?.stop());
    await proxy?.close();
  });

  it('gives every connection back: orders are placed afterwards and the app stops', async () => {
    const sku = await addProduct(t, { stock: 100_000, priceMinor: 500 });
    const customer = await newCustomer(t);
    const place = (i: number) =>
      customer.client.request(CreateOrderDocument, {
        input: { items: [{ sku, quantity: 1 }], shippingAddress: `${i} Cut Street` },
      });

    const cancel = (orderId: string) =>
      customer.client.request(CancelOrderDocument, { input: { orderId, reason: 'cut' } });

    let failedDuringCuts = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const placed = await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => place(round * IN_FLIGHT + i)));
      // Cancelling is a transaction (a row lock, the move, its history and outbox rows, the stock back).
      const inFlight = placed.map((r) => cancel(r.data!.createOrder.id));
      // Cut at a different moment of the transactions each round: before, during and after their statements.
      await settle(2 + ((round * 7) % 30));
      proxy.cut();
      const results = await Promise.all(inFlight);
      failedDuringCuts += results.filter((r) => r.errors?.length).length;
      await settle(200);
      proxy.restore();
      await settle(200);
    }
    // The cuts did meet transactions (else this test proves nothing).
    expect(failedDuringCuts).toBeGreaterThan(0);

    // More requests at once than the pool has connections: each needs one in turn.
    const after = await Promise.all(Array.from({ length: 4 * POOL_SIZE }, (_, i) => place(10_000 + i)));
    expect(after.map((r) => r.errors?.[0]?.extensions?.code ?? 'ok')).toEqual(after.map(() => 'ok'));
  }, 120_000);
});

async function answered<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within 30 s: a connection was not given back')), 30_000);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}
