// Moving orders: the status machine applied to a locked order, with
// optimistic concurrency for callers that pin a version, and payments from
// the payment service applied through the inbox. SHIPPED and DELIVERED go
// through shipments (SPEC section 10): to SHIPPED ships all that remains in
// one shipment, to DELIVERED delivers every shipment; cancelling cancels every
// unit not shipped, returns their stock and owes back what was charged.
import { randomUUID } from 'node:crypto';
import type { InventoryService } from '../catalog/index.js';
import type { Orm } from '../db/orm.js';
import { BadInputError } from '../errors.js';
import type { EventEnvelope } from '../outbox/envelope.js';
import type { CommittedEvents, RequestMeta } from './committed-events.js';
import type { LockedOrder } from './locked-order.js';
import { OrderChanges } from './order-changes.js';
import { everythingLeft } from './order-lines.js';
import { parseExpectedVersion, parseReason, parseUuid } from './order-input.js';
import type { OrderSnapshot } from './order-snapshot.js';
import { decidePayment, type PaymentProcessedData } from './payment-result.js';
import { assertTransition, OrderStatus, PAYMENTS, type Actor } from './status-machine.js';

export type PaymentOutcome =
  | { kind: 'applied'; status: OrderStatus; reason: string | null }
  | { kind: 'duplicate' }
  | { kind: 'ignored'; why: string };

export class OrderMoves {
  private readonly changes: OrderChanges;

  constructor(orm: Orm, inventory: InventoryService, committed: CommittedEvents) {
    this.changes = new OrderChanges(orm, inventory, committed);
  }

  /** updateOrderStatus: any allowed move, by an admin or (for cancellation) the owner. */
  async updateStatus(
    actor: Actor,
    input: { orderId: string; status: OrderStatus; reason?: string | null; expectedVersion?: number | null },
    meta: RequestMeta,
  ): Promise<OrderSnapshot> {
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
  ): Promise<OrderSnapshot> {
    return this.transition(actor, parseUuid(input.orderId, 'orderId'), OrderStatus.CANCELLED, {
      reason: parseReason(input.reason),
      expectedVersion: undefined,
      meta,
    });
  }

  /**
   * The one way an order is moved to a named status. The row is locked for
   * the transaction, so concurrent moves apply one after another and each is
   * checked against the status the previous one left.
   */
  async transition(
    actor: Actor,
    orderId: string,
    to: OrderStatus,
    options: { reason: string | null; expectedVersion: number | undefined; meta: RequestMeta },
  ): Promise<OrderSnapshot> {
    const { order } = await this.changes.change(
      { orderId, actor, expectedVersion: options.expectedVersion },
      (locked) => moveTo(locked, actor, to, options.reason, options.meta),
    );
    return order.snapshot();
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
    const { result } = await this.changes.change(
      { orderId: payment.data.orderId, actor: PAYMENTS },
      async (locked): Promise<PaymentOutcome> => {
        if (!(await locked.firstSight(message.consumer, payment.id))) return { kind: 'duplicate' };
        const { status, totalMinor, currency } = locked.order;
        const decision = decidePayment({ status, totalMinor, currency, ownerId: locked.ownerId }, payment.data);
        if (decision.kind === 'ignore') return { kind: 'ignored', why: decision.why };
        await locked.move(locked.planMove(PAYMENTS, decision.to), decision.reason, {
          correlationId: message.correlationId,
        });
        return { kind: 'applied', status: decision.to, reason: decision.reason };
      },
    );
    return result;
  }
}

/** A move to a named status on a locked order; SHIPPED, DELIVERED and CANCELLED act on the lines. */
async function moveTo(
  order: LockedOrder,
  actor: Actor,
  to: OrderStatus,
  reason: string | null,
  meta: RequestMeta,
): Promise<void> {
  switch (to) {
    case OrderStatus.SHIPPED: {
      assertTransition(order.status, to, actor, order.ownerId);
      const plan = order.planShipment(actor, everythingLeft(order.items));
      await order.ship(plan, { id: randomUUID(), carrier: null, trackingNumber: null }, reason, meta);
      return;
    }
    case OrderStatus.DELIVERED: {
      assertTransition(order.status, to, actor, order.ownerId);
      const plan = order.planDelivery(actor, order.shipments);
      if (plan) await order.deliver(plan, reason, meta);
      else await order.move(order.planMove(actor, to), reason, meta);
      return;
    }
    case OrderStatus.CANCELLED:
      await order.cancel(order.planCancellation(actor, null), reason, meta);
      return;
    case OrderStatus.PARTIALLY_SHIPPED:
      // Which units? Only a shipment can say.
      throw new BadInputError(
        'An order becomes PARTIALLY_SHIPPED by its shipments: record one with createShipment',
        'status',
      );
    default:
      await order.move(order.planMove(actor, to), reason, meta);
  }
}
