// createOrder's cost in round trips to PostgreSQL: every statement the
// placement sends (BEGIN and COMMIT included) is counted on the driver, on an
// ORM of the test's own so nothing else running in the app is counted.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/auth/role.js';
import { ENTITIES } from '../../src/bootstrap/entities.js';
import { InventoryService } from '../../src/catalog/index.js';
import { createOrm, type Orm } from '../../src/db/orm.js';
import { Statements } from '../../src/db/statements.js';
import { CommittedEvents, OrderPlacement } from '../../src/orders/index.js';
import { OutboxMessage } from '../../src/outbox/outbox.entity.js';
import { addProduct, newCustomer, startTestApp, stockOf, type TestApp } from '../support/harness.js';

const ours = new WeakSet<pg.Client>();
const sent: string[] = [];

let t: TestApp;
let orm: Orm;
let placement: OrderPlacement;
const originalQuery = pg.Client.prototype.query;

beforeAll(async () => {
  t = await startTestApp({ RUN_CONSUMERS: 'false' });
  orm = await createOrm({ url: t.db.url, entities: ENTITIES, poolSize: 2 });
  const pool = (await orm.em.getConnection().getNativeClient()) as pg.Pool;
  pool.on('connect', (client) => ours.add(client));
  placement = new OrderPlacement(
    orm,
    new Statements(orm, { prepared: !t.db.embedded }),
    new InventoryService(),
    new CommittedEvents(),
    1000,
  );
  // Counts what reaches the wire from this test's ORM only.
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (ours.has(this)) {
      const first = args[0];
      sent.push(typeof first === 'string' ? first : String((first as { text?: string }).text));
    }
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
});
afterAll(async () => {
  pg.Client.prototype.query = originalQuery;
  await orm?.close(true);
  await t?.stop();
});

async function countWhile(run: () => Promise<unknown>): Promise<string[]> {
  sent.length = 0;
  await run();
  return [...sent];
}

describe('createOrder round trips', () => {
  it('places a three-line order with an idempotency key in two statements, all written', async () => {
    const skus = [
      await addProduct(t, { stock: 10 }),
      await addProduct(t, { stock: 10 }),
      await addProduct(t, { stock: 10 }),
    ];
    const customer = await newCustomer(t);
    const viewer = { userId: customer.id, role: Role.CUSTOMER, expiresAt: Date.now() + 60_000 };
    // A first order warms the pool, so connecting is not counted.
    await placement.placeOrder(
      viewer,
      { items: [{ sku: skus[0] as string, quantity: 1 }], shippingAddress: 'x' },
      {
        correlationId: 'warm',
      },
    );

    const placeThreeLines = () =>
      placement.placeOrder(
        viewer,
        {
          items: skus.map((sku, i) => ({ sku, quantity: i + 1 })),
          shippingAddress: 'Main St 1',
          idempotencyKey: 'round-trips-1',
        },
        { correlationId: 'round-trips' },
      );
    let orderId = '';
    const statements = await countWhile(async () => {
      orderId = (await placeThreeLines()).id;
    });
    // Before the single-statement write it was seven: the lookup, BEGIN, the stock, three inserts, COMMIT.
    expect(statements, statements.join('\n---\n')).toHaveLength(2);

    // Everything the statements had to write is there.
    expect(await stockOf(t, skus[0] as string)).toBe(8);
    expect(await stockOf(t, skus[1] as string)).toBe(8);
    expect(await stockOf(t, skus[2] as string)).toBe(7);
    const em = t.app.orm.em.fork();
    const outbox = await em.find(OutboxMessage, { aggregateId: orderId });
    expect(outbox.map((m) => m.type)).toEqual(['order.created']);
    const items = await em
      .getConnection()
      .execute<{ sku: string; quantity: number; position: number }[]>(
        'select sku, quantity, position from order_items where order_id = ? order by position',
        [orderId],
      );
    expect(items.map((i) => [i.sku, i.quantity, i.position])).toEqual(skus.map((sku, i) => [sku, i + 1, i]));

    // A replay with the same key answers from the first order.
    let replayId = '';
    const replay = await countWhile(async () => {
      replayId = (await placeThreeLines()).id;
    });
    expect(replayId).toBe(orderId);
    // The quote finds the key; the order and its items are read back; nothing is written.
    expect(replay.filter((sql) => /^\s*(with|insert|update)/i.test(sql))).toEqual([]);
    expect(await stockOf(t, skus[2] as string)).toBe(7);
  });
});
