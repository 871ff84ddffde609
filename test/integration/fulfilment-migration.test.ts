// The fulfilment migration on a database that already holds orders (on
// PostgreSQL with TEST_DATABASE_URL, else on PGlite): shipped and delivered
// orders get one shipment with all their lines, cancelled ones have every
// unit cancelled (and are owed their total when they had been paid), and the
// new code then carries them on.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/auth/role.js';
import { ENTITIES } from '../../src/bootstrap/entities.js';
import { InventoryService } from '../../src/catalog/inventory.service.js';
import { createOrm, type Orm } from '../../src/db/orm.js';
import { CommittedEvents } from '../../src/orders/committed-events.js';
import { OrderMoves } from '../../src/orders/order-moves.service.js';
import { Statements } from '../../src/db/statements.js';
import { loadOrderSnapshot } from '../../src/orders/order-reads.service.js';
import { OrderStatus } from '../../src/orders/status-machine.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let orm: Orm;
const ids = {
  customer: randomUUID(),
  shipped: randomUUID(),
  delivered: randomUUID(),
  paidThenCancelled: randomUUID(),
  cancelledUnpaid: randomUUID(),
  paid: randomUUID(),
};

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await createOrm({ url: db.url, entities: ENTITIES });
  await orm.migrator.up({ to: 'Migration20261203000000_outbox_lease_owner' });
  const sql = (query: string, params: unknown[] = []) => orm.em.fork().execute(query, params);
  await sql(`insert into users (id, email, password_hash) values (?, 'old@example.com', 'x')`, [ids.customer]);
  await sql(`insert into products (sku, name, price_minor, currency, stock) values
    ('MUG', 'Mug', 1250, 'EUR', 10), ('CAP', 'Cap', 1500, 'EUR', 10)`);
  const orders: [string, string][] = [
    [ids.shipped, 'SHIPPED'],
    [ids.delivered, 'DELIVERED'],
    [ids.paidThenCancelled, 'CANCELLED'],
    [ids.cancelledUnpaid, 'CANCELLED'],
    [ids.paid, 'PAID'],
  ];
  for (const [id, status] of orders) {
    await sql(
      `insert into orders (id, customer_id, status, currency, total_minor, shipping_address, version, updated_at)
       values (?, ?, ?, 'EUR', 4000, 'Old Road', 3, '2026-11-01T10:00:00Z')`,
      [id, ids.customer, status],
    );
    await sql(
      `insert into order_items (id, order_id, position, sku, name, quantity, unit_price_minor, line_total_minor)
       values (?, ?, 0, 'MUG', 'Mug', 2, 1250, 2500), (?, ?, 1, 'CAP', 'Cap', 1, 1500, 1500)`,
      [randomUUID(), id, randomUUID(), id],
    );
  }
  // What the audit trail says of them.
  const history = (orderId: string, from: string | null, to: string, at: string) =>
    sql(
      `insert into order_history (id, event_id, order_id, type, from_status, to_status, actor, occurred_at)
       values (?, ?, ?, 'order.status_changed', ?, ?, 'admin', ?)`,
      [randomUUID(), randomUUID(), orderId, from, to, at],
    );
  await history(ids.shipped, 'PAID', 'SHIPPED', '2026-10-01T09:00:00Z');
  await history(ids.delivered, 'PAID', 'SHIPPED', '2026-10-02T09:00:00Z');
  await history(ids.delivered, 'SHIPPED', 'DELIVERED', '2026-10-05T09:00:00Z');
  await history(ids.paidThenCancelled, 'PAID', 'CANCELLED', '2026-10-03T09:00:00Z');
  await history(ids.cancelledUnpaid, 'PENDING', 'CANCELLED', '2026-10-03T09:00:00Z');
  expect(await orm.migrator.up()).toEqual([expect.objectContaining({ name: 'Migration20261210000000_fulfilment' })]);
});
afterAll(async () => {
  await orm?.close(true);
  await db?.drop();
});

const snapshot = async (id: string) => {
  const order = await loadOrderSnapshot(new Statements(orm, { prepared: !db.embedded }), id);
  if (!order) throw new Error(`no order ${id}`);
  return order;
};

describe('the fulfilment migration', () => {
  it('gives a SHIPPED order one shipment with all its lines, shipped when the audit trail says', async () => {
    const order = await snapshot(ids.shipped);
    expect(order.shipments).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status: 'SHIPPED',
        lines: [
          { sku: 'MUG', quantity: 2 },
          { sku: 'CAP', quantity: 1 },
        ],
        carrier: null,
        trackingNumber: null,
        shippedAt: '2026-10-01T09:00:00.000Z',
        deliveredAt: null,
      },
    ]);
    expect(order.items.map((i) => [i.status, i.quantityShipped, i.quantityDelivered, i.quantityCancelled])).toEqual([
      ['SHIPPED', 2, 0, 0],
      ['SHIPPED', 1, 0, 0],
    ]);
    expect(order.version).toBe(3);
  });

  it('gives a DELIVERED order one delivered shipment', async () => {
    const order = await snapshot(ids.delivered);
    expect(order.shipments).toHaveLength(1);
    expect(order.shipments[0]).toMatchObject({
      status: 'DELIVERED',
      shippedAt: '2026-10-02T09:00:00.000Z',
      deliveredAt: '2026-10-05T09:00:00.000Z',
    });
    expect(order.items.map((i) => i.status)).toEqual(['DELIVERED', 'DELIVERED']);
  });

  it('cancels every unit of a cancelled order; one that had been paid is owed its total', async () => {
    const paid = await snapshot(ids.paidThenCancelled);
    expect(paid.items.map((i) => [i.status, i.quantityCancelled])).toEqual([
      ['CANCELLED', 2],
      ['CANCELLED', 1],
    ]);
    expect(paid.refundDueMinor).toBe(4000);
    const unpaid = await snapshot(ids.cancelledUnpaid);
    expect(unpaid.items.every((i) => i.status === 'CANCELLED')).toBe(true);
    expect(unpaid.refundDueMinor).toBe(0);
  });

  it('leaves other orders untouched, and the new code carries every order on', async () => {
    const paid = await snapshot(ids.paid);
    expect(paid.shipments).toEqual([]);
    expect(paid.items.map((i) => i.status)).toEqual(['PENDING', 'PENDING']);
    const moves = new OrderMoves(orm, new InventoryService(), new CommittedEvents());
    const admin = { kind: 'user' as const, userId: randomUUID(), role: Role.ADMIN };
    const meta = { correlationId: null };
    const delivered = await moves.transition(admin, ids.shipped, OrderStatus.DELIVERED, {
      reason: null,
      expectedVersion: 3,
      meta,
    });
    expect(delivered).toMatchObject({ status: 'DELIVERED', version: 4 });
    expect(delivered.shipments.map((s) => s.status)).toEqual(['DELIVERED']);
    const shipped = await moves.transition(admin, ids.paid, OrderStatus.SHIPPED, {
      reason: null,
      expectedVersion: undefined,
      meta,
    });
    expect(shipped.status).toBe('SHIPPED');
    // PARTIALLY_SHIPPED, added to the enum by this migration, is usable once it committed.
    const [row] = await orm.em
      .fork()
      .execute<{ ok: boolean }[]>(`select 'PARTIALLY_SHIPPED'::order_status is not null as ok`);
    expect(row?.ok).toBe(true);
  });
});
