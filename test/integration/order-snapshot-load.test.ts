// A cache miss loads an order in one statement (orders/order-reads.service.ts);
// what it loads must be the snapshot the entities give, field for field:
// lines in position order with their statuses, shipments oldest first, and
// every time to the millisecond.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES } from '../../src/bootstrap/entities.js';
import { createOrm, type Orm } from '../../src/db/orm.js';
import { Shipment } from '../../src/fulfilment/index.js';
import { Statements } from '../../src/db/statements.js';
import { loadOrderSnapshot } from '../../src/orders/order-reads.service.js';
import { snapshotOf } from '../../src/orders/order-snapshot.js';
import { Order } from '../../src/orders/order.entity.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testServices } from '../support/services.js';

let db: TestDatabase;
let orm: Orm;
const customer = randomUUID();
const ids = { fulfilled: randomUUID(), bare: randomUUID() };

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await createOrm({ url: db.url, entities: ENTITIES });
  await orm.migrator.up();
  const sql = (query: string, params: unknown[] = []) => orm.em.fork().execute(query, params);
  await sql(`insert into users (id, email, password_hash) values (?, 'snapshot@example.com', 'x')`, [customer]);
  for (const id of [ids.fulfilled, ids.bare]) {
    await sql(
      `insert into orders (id, customer_id, status, currency, total_minor, refund_due_minor, shipping_address, version, created_at, updated_at)
       values (?, ?, 'PARTIALLY_SHIPPED', 'EUR', 5250, 1500, '1 Snapshot Lane', 7, '2026-11-01T10:00:00.123Z', '2026-11-02T11:30:00.987Z')`,
      [id, customer],
    );
  }
  // Inserted out of position order: the snapshot lists them by position.
  await sql(
    `insert into order_items (id, order_id, position, sku, name, quantity, unit_price_minor, line_total_minor,
       quantity_shipped, quantity_delivered, quantity_cancelled)
     values (?, ?, 2, 'HAT', 'Hat', 1, 1500, 1500, 0, 0, 1),
            (?, ?, 0, 'MUG', 'Mug', 3, 1250, 3750, 2, 1, 0),
            (?, ?, 1, 'CAP', 'Cap', 1, 1500, 1500, 1, 1, 0)`,
    [randomUUID(), ids.fulfilled, randomUUID(), ids.fulfilled, randomUUID(), ids.fulfilled],
  );
  await sql(
    `insert into shipments (id, order_id, status, lines, carrier, tracking_number, shipped_at, delivered_at)
     values ('ship-later', ?, 'SHIPPED', '[{"sku":"MUG","quantity":1}]', null, null, '2026-11-02T09:00:00.001Z', null),
            ('ship-first', ?, 'DELIVERED', '[{"sku":"MUG","quantity":1},{"sku":"CAP","quantity":1}]', 'DHL', 'TRACK-1',
             '2026-11-01T12:00:00.555Z', '2026-11-01T18:45:00.010Z')`,
    [ids.fulfilled, ids.fulfilled],
  );
});

afterAll(async () => {
  await orm?.close(true);
  await db?.drop();
});

async function fromEntities(id: string) {
  const em = orm.em.fork();
  const order = await em.findOneOrFail(Order, { id }, { populate: ['items'] });
  return snapshotOf(order, await em.find(Shipment, { orderId: id }, { orderBy: { shippedAt: 'asc', id: 'asc' } }));
}

// PostgreSQL loads with a named prepared statement; the embedded database cannot (order-reads.service.ts).
const modes = testServices.databaseUrl ? [{ prepared: true }, { prepared: false }] : [{ prepared: false }];
const load = (id: string) => loadOrderSnapshot(new Statements(orm, { prepared: !db.embedded }), id);

describe('loading an order for the cache', () => {
  it.each(modes)(
    'gives the snapshot the entities give, lines by position and shipments oldest first (%o)',
    async (mode) => {
      const loaded = await loadOrderSnapshot(new Statements(orm, mode), ids.fulfilled);
      expect(loaded).toEqual(await fromEntities(ids.fulfilled));
      expect(loaded?.items.map((i) => [i.sku, i.status])).toEqual([
        ['MUG', 'PARTIALLY_SHIPPED'],
        ['CAP', 'DELIVERED'],
        ['HAT', 'CANCELLED'],
      ]);
      expect(loaded?.shipments.map((s) => [s.id, s.shippedAt, s.deliveredAt])).toEqual([
        ['ship-first', '2026-11-01T12:00:00.555Z', '2026-11-01T18:45:00.010Z'],
        ['ship-later', '2026-11-02T09:00:00.001Z', null],
      ]);
      expect([loaded?.createdAt, loaded?.updatedAt]).toEqual(['2026-11-01T10:00:00.123Z', '2026-11-02T11:30:00.987Z']);
    },
  );

  it('gives an order without lines or shipments empty lists', async () => {
    const loaded = await load(ids.bare);
    expect(loaded).toEqual(await fromEntities(ids.bare));
    expect(loaded).toMatchObject({ items: [], shipments: [] });
  });

  it('answers null for an order that does not exist', async () => {
    expect(await load(randomUUID())).toBeNull();
  });

  it.runIf(testServices.databaseUrl)(
    'on PostgreSQL, prepares its statement once per connection and reuses it',
    async () => {
      // A pool of one connection: every load and the check below share its session.
      const single = await createOrm({ url: db.url, entities: ENTITIES, poolSize: 1 });
      try {
        const statements = new Statements(single, { prepared: true });
        for (let i = 0; i < 5; i++) await loadOrderSnapshot(statements, ids.fulfilled);
        const pool = await single.em.getConnection('write').getNativeClient();
        const { rows } = await pool.query<{ statement: string }>(
          `select statement from pg_prepared_statements where statement like '%from orders o where o.id = $1%'`,
        );
        expect(rows).toHaveLength(1);
      } finally {
        await single.close(true);
      }
    },
  );
});
