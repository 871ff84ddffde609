// Order rules and transactions: creation priced from the catalogue with stock
// reserved in the same transaction, status moves through the machine with
// optimistic concurrency, and reads scoped to what the caller may see.
import { randomUUID } from 'node:crypto';
import { LockMode, OptimisticLockError, UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.js';
import { BadInputError, ConflictError, ForbiddenError, NotFoundError, OutOfStockError } from '../errors.js';
import { MAX_MINOR_UNITS } from '../money.js';
import type { EventEnvelope } from '../outbox/envelope.js';
import { recordProcessed } from '../outbox/inbox.js';
import { enqueueOrderEvents } from '../outbox/outbox.js';
import { OrderHistory } from './order-history.entity.js';
import { Order, OrderItem } from './order.entity.js';
import {
  historyEntryFor,
  OrderCancelled,
  OrderCreated,
  OrderStatusChanged,
  type AnyOrderEvent,
  type OrderCreatedData,
  type OrderStatusChangedData,
} from './order-events.js';
import {
  decodeCursor,
  encodeCursor,
  parseCreateOrder,
  parseExpectedVersion,
  parsePageSize,
  parseReason,
  parseUuid,
} from './order-input.js';
import { decidePayment, PAYMENTS, type PaymentProcessedData } from './payment-result.js';
import { actorLabel, assertTransition, OrderStatus, Role, type Actor } from './status-machine.js';
import { viewerMaySee } from './order-snapshot.js';
import type { Viewer } from '../auth/tokens.js';

export interface RequestMeta {
  /** The request id, carried with the events as their correlation id. */
  correlationId: string | null;
}

export interface OrderFilter {
  status?: OrderStatus | null;
  customerId?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

export interface OrderPage {
  edges: { cursor: string; node: Order }[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

/** Told about every committed order change, after the commit (cache invalidation, live updates). */
export type OrderChangeListener = (order: Order, events: AnyOrderEvent[]) => void;

export type PaymentOutcome =
  | { kind: 'applied'; status: OrderStatus; reason: string | null }
  | { kind: 'duplicate' }
  | { kind: 'ignored'; why: string };

/** A payment names an order this service does not have: retried up to the bound, then dead-lettered. */
export class UnknownOrderError extends Error {
  readonly code = 'UNKNOWN_ORDER';
  constructor(orderId: string) {
    super(`No order ${orderId}`);
    this.name = 'UnknownOrderError';
  }
}

const MAX_LOCK_RETRIES = 3;

export function viewerActor(viewer: Viewer): Actor {
  return { kind: 'user', userId: viewer.userId, role: viewer.role };
}

export class OrderService {
  private readonly listeners: OrderChangeListener[] = [];

  constructor(private readonly orm: Orm) {}

  onChange(listener: OrderChangeListener): void {
    this.listeners.push(listener);
  }

  async createOrder(viewer: Viewer, input: Parameters<typeof parseCreateOrder>[0], meta: RequestMeta): Promise<Order> {
    const request = parseCreateOrder(input);
    const em = this.orm.em.fork();
    if (request.idempotencyKey !== null) {
      const existing = await this.findByIdempotencyKey(em, viewer.userId, request.idempotencyKey);
      if (existing) return existing;
    }
    let created: { order: Order; events: AnyOrderEvent[] };
    try {
      created = await em.transactional(async (tx) => {
        // Lock products in one global order so concurrent multi-item orders cannot deadlock.
        const lines = [...request.items].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
        const priced = new Map<string, { name: string; priceMinor: number; currency: string }>();
        for (const line of lines) {
          const [row] = await tx.execute<{ name: string; price_minor: number; currency: string }[]>(
            `update products set stock = stock - ? where sku = ? and stock >= ? returning name, price_minor, currency`,
            [line.quantity, line.sku, line.quantity],
          );
          if (!row) {
            const [exists] = await tx.execute<{ sku: string }[]>(`select sku from products where sku = ?`, [line.sku]);
            if (!exists) throw new BadInputError(`Unknown sku ${line.sku}`, 'items');
            throw new OutOfStockError(line.sku, line.quantity);
          }
          priced.set(line.sku, { name: row.name, priceMinor: row.price_minor, currency: row.currency });
        }
        const currencies = new Set([...priced.values()].map((p) => p.currency));
        if (currencies.size > 1) throw new BadInputError('All items of an order must share one currency', 'items');
        const currency = [...currencies][0] as string;

        const order = tx.create(Order, {
          customer: viewer.userId,
          currency,
          totalMinor: 0,
          shippingAddress: request.shippingAddress,
          idempotencyKey: request.idempotencyKey,
        });
        let total = 0;
        request.items.forEach((line, position) => {
          const product = priced.get(line.sku);
          if (!product) throw new Error(`unpriced line ${line.sku}`);
          const lineTotal = product.priceMinor * line.quantity;
          total += lineTotal;
          order.items.add(
            tx.create(OrderItem, {
              order,
              position,
              sku: line.sku,
              name: product.name,
              quantity: line.quantity,
              unitPriceMinor: product.priceMinor,
              lineTotalMinor: lineTotal,
            }),
          );
        });
        if (total > MAX_MINOR_UNITS) throw new BadInputError('The order total is too large', 'items');
        order.totalMinor = total;

        const event = new OrderCreated(
          {
            orderId: order.id,
            customerId: viewer.userId,
            status: order.status,
            version: order.version,
            total: { minorUnits: total, currencyCode: currency },
            items: order.items.getItems().map((i) => ({
              sku: i.sku,
              quantity: i.quantity,
              unitPrice: { minorUnits: i.unitPriceMinor, currencyCode: currency },
            })),
            actor: viewer.userId,
          },
          order.createdAt,
        );
        enqueueOrderEvents(tx, [event], meta.correlationId);
        await tx.flush();
        return { order, events: [event] };
      });
    } catch (error) {
      // A concurrent retry with the same key committed first: its order is the answer.
      if (error instanceof UniqueConstraintViolationException && request.idempotencyKey !== null) {
        const existing = await this.findByIdempotencyKey(this.orm.em.fork(), viewer.userId, request.idempotencyKey);
        if (existing) return existing;
      }
      throw error;
    }
    this.notify(created.order, created.events);
    return created.order;
  }

  /** updateOrderStatus: any allowed move, by an admin or (for cancellation) the owner. */
  async updateStatus(
    actor: Actor,
    input: { orderId: string; status: OrderStatus; reason?: string | null; expectedVersion?: number | null },
    meta: RequestMeta,
  ): Promise<Order> {
    return this.transition(actor, parseUuid(input.orderId, 'orderId'), input.status, {
      reason: parseReason(input.reason),
      expectedVersion: parseExpectedVersion(input.expectedVersion),
      meta,
    });
  }

  async cancelOrder(
    actor: Actor,
    input: { orderId: string; reason?: string | null },
    meta: RequestMeta,
  ): Promise<Order> {
    return this.transition(actor, parseUuid(input.orderId, 'orderId'), OrderStatus.CANCELLED, {
      reason: parseReason(input.reason),
      expectedVersion: undefined,
      meta,
    });
  }

  /**
   * The one way an order changes status. The row is locked for the
   * transaction, so concurrent moves apply one after another and each is
   * checked against the status the previous one left; a caller that names
   * `expectedVersion` and lost the race gets CONFLICT.
   */
  async transition(
    actor: Actor,
    orderId: string,
    to: OrderStatus,
    options: { reason: string | null; expectedVersion: number | undefined; meta: RequestMeta },
  ): Promise<Order> {
    const result = await this.inTransaction(options.expectedVersion !== undefined, async (tx) => {
      const order = await tx.findOne(Order, { id: orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!order || !this.mayView(actor, order)) throw new NotFoundError('Order not found');
      if (options.expectedVersion !== undefined && order.version !== options.expectedVersion) {
        throw new ConflictError(
          `The order is at version ${order.version}, not ${options.expectedVersion}: reload it and try again`,
          { currentVersion: order.version },
        );
      }
      return this.moveLocked(tx, order, actor, to, options.reason, options.meta);
    });
    this.notify(result.order, result.events);
    return result.order;
  }

  /**
   * Applies a PaymentProcessed message: records its id in the inbox and makes
   * the move the payment asks for (see decidePayment), in one transaction,
   * so a duplicate finds its id and changes nothing. An unknown order throws
   * (the message is retried, then dead-lettered).
   */
  async applyPaymentResult(
    payment: EventEnvelope<PaymentProcessedData>,
    message: { consumer: string; correlationId: string | null },
  ): Promise<PaymentOutcome> {
    const result = await this.inTransaction(false, async (tx) => {
      if (!(await recordProcessed(tx, message.consumer, payment.id))) {
        return { outcome: { kind: 'duplicate' } as PaymentOutcome, change: null };
      }
      const order = await tx.findOne(Order, { id: payment.data.orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!order) throw new UnknownOrderError(payment.data.orderId);
      const decision = decidePayment(
        { status: order.status, totalMinor: order.totalMinor, currency: order.currency, ownerId: order.customer.id },
        payment.data,
      );
      if (decision.kind === 'ignore') {
        return { outcome: { kind: 'ignored', why: decision.why } as PaymentOutcome, change: null };
      }
      const change = await this.moveLocked(tx, order, PAYMENTS, decision.to, decision.reason, {
        correlationId: message.correlationId,
      });
      return { outcome: { kind: 'applied', status: decision.to, reason: decision.reason } as PaymentOutcome, change };
    });
    if (result.change) this.notify(result.change.order, result.change.events);
    return result.outcome;
  }

  /** The move itself on an order locked by the caller's transaction; the caller notifies after commit. */
  private async moveLocked(
    tx: EntityManager,
    order: Order,
    actor: Actor,
    to: OrderStatus,
    reason: string | null,
    meta: RequestMeta,
  ): Promise<{ order: Order; events: AnyOrderEvent[] }> {
    const from = order.status;
    assertTransition(from, to, actor, order.customer.id);
    await order.items.init();
    if (to === OrderStatus.CANCELLED) await this.returnStock(tx, order);
    order.status = to;
    await tx.flush(); // bumps version, guarded by `where version = ?`
    const data: OrderStatusChangedData = {
      orderId: order.id,
      customerId: order.customer.id,
      fromStatus: from,
      toStatus: to,
      version: order.version,
      total: { minorUnits: order.totalMinor, currencyCode: order.currency },
      actor: actorLabel(actor),
      reason,
    };
    const event = to === OrderStatus.CANCELLED ? new OrderCancelled(data) : new OrderStatusChanged(data);
    enqueueOrderEvents(tx, [event], meta.correlationId);
    await tx.flush();
    return { order, events: [event] };
  }

  /** A transaction on a fresh unit of work, retried when an optimistic lock lost (unless the caller pinned a version). */
  private async inTransaction<T>(versionPinned: boolean, work: (tx: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.orm.em.fork().transactional(work);
      } catch (error) {
        if (!(error instanceof OptimisticLockError)) throw error;
        if (versionPinned || attempt >= MAX_LOCK_RETRIES) {
          throw new ConflictError('The order was changed by someone else: reload it and try again');
        }
      }
    }
  }

  async getOrder(actor: Actor, id: string): Promise<Order> {
    const orderId = parseUuid(id, 'id');
    const order = await this.orm.em.fork().findOne(Order, { id: orderId }, { populate: ['items'] });
    if (!order || !this.mayView(actor, order)) throw new NotFoundError('Order not found');
    return order;
  }

  async listOrders(
    viewer: Viewer,
    filter: OrderFilter,
    firstArg: number | null | undefined,
    after: string | null | undefined,
  ): Promise<OrderPage> {
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
    const pageWhere: FilterQuery<Order> = after
      ? (() => {
          const cursor = decodeCursor(after);
          return {
            $and: [
              where,
              {
                $or: [
                  { createdAt: { $lt: cursor.createdAt } },
                  { createdAt: cursor.createdAt, id: { $lt: cursor.id } },
                ],
              },
            ],
          };
        })()
      : where;
    const [rows, totalCount] = await Promise.all([
      em.find(Order, pageWhere, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: first + 1, populate: ['items'] }),
      em.fork().count(Order, where),
    ]);
    const page = rows.slice(0, first);
    const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
    return {
      edges,
      hasNextPage: rows.length > first,
      endCursor: edges.at(-1)?.cursor ?? null,
      totalCount,
    };
  }

  /**
   * Writes the audit row of one order event, exactly once per event id: a
   * redelivered event meets the unique event_id and writes nothing. True when
   * the row is new.
   */
  async recordHistory(envelope: EventEnvelope<OrderCreatedData | OrderStatusChangedData>): Promise<boolean> {
    const entry = historyEntryFor(envelope);
    const rows = await this.orm.em.fork().execute<{ id: string }[]>(
      `insert into order_history (id, event_id, order_id, type, from_status, to_status, actor, reason, occurred_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (event_id) do nothing returning id`,
      [
        randomUUID(),
        entry.eventId,
        entry.orderId,
        entry.type,
        entry.fromStatus,
        entry.toStatus,
        entry.actor,
        entry.reason,
        entry.occurredAt,
      ],
    );
    return rows.length > 0;
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

  private mayView(actor: Actor, order: Order): boolean {
    return actor.kind === 'system' || viewerMaySee(actor, { customerId: order.customer.id });
  }

  private async findByIdempotencyKey(em: EntityManager, customerId: string, key: string): Promise<Order | null> {
    return em.findOne(Order, { customer: customerId, idempotencyKey: key }, { populate: ['items'] });
  }

  private async returnStock(tx: EntityManager, order: Order): Promise<void> {
    const lines = [...order.items.getItems()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
    for (const line of lines) {
      await tx.execute(`update products set stock = stock + ? where sku = ?`, [line.quantity, line.sku]);
    }
  }

  private notify(order: Order, events: AnyOrderEvent[]): void {
    for (const listener of this.listeners) listener(order, events);
  }
}
