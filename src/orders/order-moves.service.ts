// Moving orders: the status machine applied to a locked order, with
// optimistic concurrency for callers that pin a version, and payments from
// the payment service applied through the inbox. Every move writes its event
// to the outbox in the same transaction and returns stock on cancellation.
import { LockMode, OptimisticLockError } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { InventoryService } from '../catalog/index.js';
import type { Orm } from '../db/orm.js';
import { ConflictError } from '../errors.js';
import type { EventEnvelope } from '../outbox/envelope.js';
import { recordProcessed } from '../outbox/inbox.js';
import type { CommittedEvents, RequestMeta } from './committed-events.js';
import { requireVisible } from './order-access.js';
import { persistEvents } from './persist-events.js';
import { OrderCancelled, OrderStatusChanged, type AnyOrderEvent, type OrderStatusChangedData } from './order-events.js';
import { parseExpectedVersion, parseReason, parseUuid } from './order-input.js';
import { Order } from './order.entity.js';
import { decidePayment, PAYMENTS, type PaymentProcessedData } from './payment-result.js';
import { actorLabel, assertTransition, OrderStatus, type Actor } from './status-machine.js';

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

interface Change {
  order: Order;
  events: AnyOrderEvent[];
}

const MAX_LOCK_RETRIES = 3;

export class OrderMoves {
  constructor(
    private readonly orm: Orm,
    private readonly inventory: InventoryService,
    private readonly committed: CommittedEvents,
  ) {}

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

  async cancelOrder(actor: Actor, input: { orderId: string; reason?: string | null }, meta: RequestMeta) {
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
    const change = await this.inTransaction(options.expectedVersion !== undefined, async (tx) => {
      const order = await tx.findOne(Order, { id: orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      // A person moves only what they may see; a system actor (a consumer) acts on any order.
      if (actor.kind === 'user') requireVisible(actor, order && { customerId: order.customer.id });
      if (!order) throw new UnknownOrderError(orderId);
      if (options.expectedVersion !== undefined && order.version !== options.expectedVersion) {
        throw new ConflictError(
          `The order is at version ${order.version}, not ${options.expectedVersion}: reload it and try again`,
          { currentVersion: order.version },
        );
      }
      return this.moveLocked(tx, order, actor, to, options.reason, options.meta);
    });
    this.committed.committed(change.order, change.events);
    return change.order;
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
      // The order row first, before the inbox: see change-feed.ts on why a change locks its order first.
      const order = await tx.findOne(Order, { id: payment.data.orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!order) throw new UnknownOrderError(payment.data.orderId);
      if (!(await recordProcessed(tx, message.consumer, payment.id))) {
        return { outcome: { kind: 'duplicate' } as PaymentOutcome, change: null };
      }
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
    if (result.change) this.committed.committed(result.change.order, result.change.events);
    return result.outcome;
  }

  /** The move itself on an order locked by the caller's transaction; the caller reports it after commit. */
  private async moveLocked(
    tx: EntityManager,
    order: Order,
    actor: Actor,
    to: OrderStatus,
    reason: string | null,
    meta: RequestMeta,
  ): Promise<Change> {
    const from = order.status;
    assertTransition(from, to, actor, order.customer.id);
    await order.items.init();
    if (to === OrderStatus.CANCELLED) await this.inventory.release(tx, order.items.getItems());
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
    await persistEvents(tx, [event], meta);
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
}
