// Reading orders: one order cache first (order(id) and the orders live
// subscribers are told about), lists and history from the database. Every
// read answers only what the caller may see (order-access.ts).
import type { ConnectionType, FilterQuery } from '@mikro-orm/core';
import type { Viewer } from '../auth/index.js';
import type { OrderCache, OrderLoader } from '../cache/order-cache.js';
import type { Orm } from '../db/orm.js';
import type { ReadReplicas } from '../db/read-replicas.js';
import type { Statements } from '../db/statements.js';
import { Shipment, type ShipmentLine, type ShipmentStatus } from '../fulfilment/index.js';
import { ForbiddenError } from '../errors.js';
import { parsePageSize, type Page } from '../pagination.js';
import { Role } from '../auth/index.js';
import { requireVisible } from './order-access.js';
import { OrderHistory } from './order-history.entity.js';
import { decodeCursor, encodeCursor, parseUuid } from './order-input.js';
import { itemStatus } from './order-lines.js';
import { isCurrentSnapshot, snapshotOf, type OrderItemSnapshot, type OrderSnapshot } from './order-snapshot.js';
import { Order } from './order.entity.js';
import type { OrderStatus } from './status-machine.js';

export interface OrderFilter {
  status?: OrderStatus | null;
  customerId?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

// The order, its lines (by position) and its shipments (oldest first) in one statement: a cache miss
// is one round trip and no entities, the same snapshot snapshotOf makes from the loaded entities.
// Times travel as epoch milliseconds, which the driver hands over as plain numbers at any nesting.
// It runs as one of the hot statements (db/statements.ts): bound, and prepared where it can be.
const ORDER_SNAPSHOT_SQL = `
  select o.id, o.customer_id, o.status, o.currency, o.total_minor, o.refund_due_minor, o.shipping_address, o.version,
    round(extract(epoch from o.created_at) * 1000)::float8 as created_at,
    round(extract(epoch from o.updated_at) * 1000)::float8 as updated_at,
    coalesce((
      select json_agg(json_build_object('sku', i.sku, 'name', i.name, 'quantity', i.quantity,
        'unitPriceMinor', i.unit_price_minor, 'lineTotalMinor', i.line_total_minor, 'quantityShipped', i.quantity_shipped,
        'quantityDelivered', i.quantity_delivered, 'quantityCancelled', i.quantity_cancelled) order by i.position)
      from order_items i where i.order_id = o.id), '[]') as items,
    coalesce((
      select json_agg(json_build_array(s.id, s.status, s.lines, s.carrier, s.tracking_number,
        round(extract(epoch from s.shipped_at) * 1000)::float8,
        round(extract(epoch from s.delivered_at) * 1000)::float8) order by s.shipped_at, s.id)
      from shipments s where s.order_id = o.id), '[]') as shipments
  from orders o where o.id = ?`;

interface OrderSnapshotRow {
  id: string;
  customer_id: string;
  status: OrderStatus;
  currency: string;
  total_minor: number;
  refund_due_minor: number;
  shipping_address: string;
  version: number;
  created_at: number;
  updated_at: number;
  items: Omit<OrderItemSnapshot, 'status'>[];
  shipments: [string, ShipmentStatus, ShipmentLine[], string | null, string | null, number, number | null][];
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

function snapshotOfRow(row: OrderSnapshotRow): OrderSnapshot {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    currency: row.currency,
    totalMinor: row.total_minor,
    refundDueMinor: row.refund_due_minor,
    shippingAddress: row.shipping_address,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    items: row.items.map((item) => ({ ...item, status: itemStatus(item) })),
    shipments: row.shipments.map(([id, status, lines, carrier, trackingNumber, shippedAt, deliveredAt]) => ({
      id,
      status,
      lines: lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
      carrier,
      trackingNumber,
      shippedAt: iso(shippedAt),
      deliveredAt: deliveredAt === null ? null : iso(deliveredAt),
    })),
  };
}

/** The order as stored now, or null; what the cache loads on a miss. Not authorized: callers are. */
export async function loadOrderSnapshot(statements: Statements, orderId: string): Promise<OrderSnapshot | null> {
  const rows = await statements.rows<OrderSnapshotRow>(ORDER_SNAPSHOT_SQL, [orderId]);
  const [row] = rows;
  return row ? snapshotOfRow(row) : null;
}

export class OrderReads {
  /**
   * The load of an order for one change, shared by every subscriber of this
   * process that is told about it: one cache lookup per change, not one per
   * subscriber (each subscriber is still authorized on the result).
   */
  private readonly loadsByChange = new WeakMap<object, Promise<OrderSnapshot | null>>();

  constructor(
    private readonly orm: Orm,
    private readonly cache: OrderCache,
    /** What the cache loads on a miss (loadOrderSnapshot, bound to its settings). */
    private readonly loadSnapshot: OrderLoader,
    /** Lists may come from a replica that has the caller's own writes; the cache is always filled from the primary. */
    private readonly replicas?: ReadReplicas,
  ) {}

  async order(viewer: Viewer, id: string): Promise<OrderSnapshot> {
    return requireVisible(viewer, await this.current(await this.cache.get(parseUuid(id, 'id'))));
  }

  /** The order a change is about, as it is now, for a subscriber told about the change. */
  async orderOfChange(viewer: Viewer, change: { orderId: string }): Promise<OrderSnapshot> {
    let loading = this.loadsByChange.get(change);
    if (!loading) {
      loading = this.cache.get(change.orderId);
      this.loadsByChange.set(change, loading);
      // A failed load is not kept: the next subscriber tries again.
      loading.catch(() => this.loadsByChange.delete(change));
    }
    return requireVisible(viewer, await this.current(await loading));
  }

  private async current(snapshot: OrderSnapshot | null): Promise<OrderSnapshot | null> {
    return !snapshot || isCurrentSnapshot(snapshot) ? snapshot : this.loadSnapshot(snapshot.id);
  }

  async listOrders(
    viewer: Viewer,
    filter: OrderFilter,
    firstArg: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Page<OrderSnapshot>> {
    const first = parsePageSize(firstArg);
    const where: FilterQuery<Order> & Record<string, unknown> = {};
    if (viewer.role === Role.ADMIN) {
      if (filter.customerId) where.customer = parseUuid(filter.customerId, 'filter.customerId');
    } else {
      if (filter.customerId && filter.customerId.toLowerCase() !== viewer.userId) {
        throw new ForbiddenError('Only an admin may list another customer’s orders');
      }
      where.customer = viewer.userId;
    }
    if (filter.status) where.status = filter.status;
    const createdAt: Record<string, Date> = {};
    if (filter.createdAfter) createdAt.$gt = filter.createdAfter;
    if (filter.createdBefore) createdAt.$lt = filter.createdBefore;
    if (Object.keys(createdAt).length > 0) where.createdAt = createdAt;

    const em = this.orm.em.fork();
    const connectionType = this.replicas?.readsFor(viewer.userId) ?? 'write';
    let pageWhere: FilterQuery<Order> = where;
    if (after) {
      const cursor = decodeCursor(after);
      pageWhere = {
        $and: [
          where,
          { $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { $lt: cursor.id } }] },
        ],
      };
    }
    const [rows, totalCount] = await Promise.all([
      em.find(Order, pageWhere, {
        orderBy: { createdAt: 'desc', id: 'desc' },
        limit: first + 1,
        populate: ['items'],
        connectionType,
      }),
      em.fork().count(Order, where, { connectionType }),
    ]);
    const page = rows.slice(0, first);
    const shipments = await this.shipmentsOf(
      page.map((order) => order.id),
      connectionType,
    );
    const edges = page.map((order) => ({
      cursor: encodeCursor(order),
      node: snapshotOf(order, shipments.get(order.id) ?? []),
    }));
    return { edges, hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null, totalCount };
  }

  /** The shipments of many orders in one query, each order's oldest first. */
  private async shipmentsOf(
    orderIds: readonly string[],
    connectionType: ConnectionType,
  ): Promise<Map<string, Shipment[]>> {
    const byOrder = new Map<string, Shipment[]>();
    if (orderIds.length === 0) return byOrder;
    const rows = await this.orm.em
      .fork()
      .find(
        Shipment,
        { orderId: { $in: [...orderIds] } },
        { orderBy: { shippedAt: 'asc', id: 'asc' }, connectionType },
      );
    for (const row of rows) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), row]);
    return byOrder;
  }

  /** History of many orders at once (oldest first), for the per-request loader. */
  async historyOf(orderIds: readonly string[]): Promise<Map<string, OrderHistory[]>> {
    const rows = await this.orm.em
      .fork()
      .find(OrderHistory, { orderId: { $in: [...orderIds] } }, { orderBy: { occurredAt: 'asc', id: 'asc' } });
    const byOrder = new Map<string, OrderHistory[]>();
    for (const row of rows) {
      const list = byOrder.get(row.orderId) ?? [];
      list.push(row);
      byOrder.set(row.orderId, list);
    }
    return byOrder;
  }
}
