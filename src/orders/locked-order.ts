// One order locked by its transaction (SELECT ... FOR UPDATE before anything
// else: change-feed.ts says why), with its lines and shipments: the one place
// an order changes. Every operation is planned first, which checks every rule
// and touches nothing (a refused plan leaves the transaction as it was, so a
// consumer can still record the message and commit), then applied as one
// change: the version bumped once, the change's events written with
// persistEvents, and `order.status_changed` (or `order.cancelled`) added when
// the status moved.
//
// Long on purpose: every change of an order (moves, payments, shipments, line
// cancellations) is planned and applied here, so the rules sit side by side
// and no second place changes an order.
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { InventoryService } from '../catalog/index.js';
import { BadInputError } from '../errors.js';
import { keepEarlyDelivery, Shipment, ShipmentStatus, takeEarlyDelivery } from '../fulfilment/index.js';
import { recordProcessed } from '../outbox/inbox.js';
import type { RequestMeta } from './committed-events.js';
import {
  OrderCancelled,
  OrderLinesCancelled,
  OrderShipmentCreated,
  OrderShipmentDelivered,
  OrderStatusChanged,
  type AnyOrderEvent,
  type LineData,
  type MoneyData,
  type OrderChangeData,
} from './order-events.js';
import {
  everythingLeft,
  moneyAfterCancelling,
  movesTowards,
  priceOf,
  statusOfLines,
  takeUnits,
  type LineQuantities,
  type OrderMoney,
  type UnitsOf,
} from './order-lines.js';
import { snapshotOf, type OrderSnapshot } from './order-snapshot.js';
import { Order, type OrderItem } from './order.entity.js';
import { persistEvents } from './persist-events.js';
import { actorLabel, assertLineOperation, assertTransition, OrderStatus, type Actor } from './status-machine.js';

interface Taken {
  line: OrderItem;
  quantity: number;
}

interface Plan {
  actor: Actor;
  /** The status moves the change makes, checked against the machine; usually none or one. */
  moves: OrderStatus[];
}

export interface ShipmentPlan extends Plan {
  taken: Taken[];
}

export interface DeliveryPlan extends Plan {
  shipments: Shipment[];
}

export interface CancellationPlan extends Plan {
  taken: Taken[];
  /** Cancelling the whole order (cancelOrder, updateOrderStatus CANCELLED) rather than some lines. */
  wholeOrder: boolean;
  money: OrderMoney;
  /** What this cancellation adds to what is owed. */
  refundMinor: number;
}

type EventOfChange = (facts: OrderChangeData, occurredAt: Date) => AnyOrderEvent;

export class LockedOrder {
  /** Every event written for the order in this transaction, in order: reported after commit. */
  readonly events: AnyOrderEvent[] = [];
  private lastStamp = 0;

  private constructor(
    private readonly tx: EntityManager,
    readonly order: Order,
    /** Oldest first. */
    readonly shipments: Shipment[],
    private readonly inventory: InventoryService,
  ) {}

  /** Locks the order row first, then reads its lines and shipments; null when there is no such order. */
  static async lock(tx: EntityManager, orderId: string, inventory: InventoryService): Promise<LockedOrder | null> {
    const order = await tx.findOne(Order, { id: orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!order) return null;
    await order.items.init();
    const shipments = await tx.find(Shipment, { orderId }, { orderBy: { shippedAt: 'asc', id: 'asc' } });
    return new LockedOrder(tx, order, shipments, inventory);
  }

  get status(): OrderStatus {
    return this.order.status;
  }

  get ownerId(): string {
    return this.order.customer.id;
  }

  get version(): number {
    return this.order.version;
  }

  get items(): OrderItem[] {
    return this.order.items.getItems();
  }

  snapshot(): OrderSnapshot {
    return snapshotOf(this.order, this.shipments);
  }

  /** Records a consumer's message in the inbox, in this transaction; false when it was seen before. */
  firstSight(consumer: string, messageId: string): Promise<boolean> {
    return recordProcessed(this.tx, consumer, messageId);
  }

  /** The order a shipment id belongs to when it is not this one's (shipment ids are unique across orders). */
  async orderOfForeignShipment(shipmentId: string): Promise<string | null> {
    const shipment = await this.tx.findOne(Shipment, { id: shipmentId, orderId: { $ne: this.order.id } });
    return shipment?.orderId ?? null;
  }

  /** A delivery that came before its shipment, kept until the shipment is recorded; the order does not change. */
  keepEarlyDelivery(shipmentId: string, messageId: string): Promise<void> {
    return keepEarlyDelivery(this.tx, { orderId: this.order.id, shipmentId, messageId });
  }

  /** Whether a delivery of this shipment came early (and is now taken). */
  async takeEarlyDelivery(shipmentId: string): Promise<boolean> {
    return (await takeEarlyDelivery(this.tx, this.order.id, shipmentId)) !== null;
  }

  // Planning: every rule, nothing written.

  /** A status move that touches no line (PAID, PAYMENT_FAILED, or DELIVERED once every shipment is). */
  planMove(actor: Actor, to: OrderStatus): Plan {
    assertTransition(this.status, to, actor, this.ownerId);
    return { actor, moves: [to] };
  }

  /** Units of some lines sent as one shipment: only from a PAID or PARTIALLY_SHIPPED order, never more than is left. */
  planShipment(actor: Actor, lines: readonly UnitsOf[]): ShipmentPlan {
    assertLineOperation('ship', this.status, actor, this.ownerId);
    if (lines.length === 0) throw new BadInputError('A shipment needs at least one line', 'lines');
    const taken = takeUnits(this.items, lines, 'ship');
    const after = this.quantitiesAfter(taken, 'quantityShipped');
    const shipments = [...this.shipments.map(delivered), { delivered: false }];
    return { actor, taken, moves: this.checkedMoves(statusOfLines(this.status, after, shipments), actor) };
  }

  /** Delivers those of `shipments` not delivered yet; null when every one already is (nothing to do). */
  planDelivery(actor: Actor, shipments: readonly Shipment[]): DeliveryPlan | null {
    const pending = shipments.filter((s) => s.status !== ShipmentStatus.DELIVERED);
    if (pending.length === 0) return null;
    assertLineOperation('deliver', this.status, actor, this.ownerId);
    const taken = pending.flatMap((s) =>
      s.lines.map((line) => ({ line: this.lineOf(line.sku), quantity: line.quantity })),
    );
    const after = this.quantitiesAfter(taken, 'quantityDelivered');
    const all = this.shipments.map((s) => ({
      delivered: s.status === ShipmentStatus.DELIVERED || pending.includes(s),
    }));
    return { actor, shipments: pending, moves: this.checkedMoves(statusOfLines(this.status, after, all), actor) };
  }

  /** Units not shipped cancelled: `lines`, or with null every unit left (the whole order). */
  planCancellation(actor: Actor, lines: readonly UnitsOf[] | null): CancellationPlan {
    const wholeOrder = lines === null;
    if (wholeOrder) assertTransition(this.status, OrderStatus.CANCELLED, actor, this.ownerId);
    else assertLineOperation('cancelLines', this.status, actor, this.ownerId);
    if (lines !== null && lines.length === 0) throw new BadInputError('Name at least one line to cancel', 'lines');
    const taken = takeUnits(this.items, lines ?? everythingLeft(this.items), 'cancel');
    const price = priceOf(taken);
    const money = moneyAfterCancelling(this.status, this.money(), price);
    const after = this.quantitiesAfter(taken, 'quantityCancelled');
    const target = statusOfLines(this.status, after, this.shipments.map(delivered));
    return {
      actor,
      taken,
      wholeOrder,
      money,
      refundMinor: money.refundDueMinor - this.order.refundDueMinor,
      moves: this.checkedMoves(target, actor),
    };
  }

  // Applying a plan: one change (two only for a move the machine makes in two steps).

  async move(plan: Plan, reason: string | null, meta: RequestMeta): Promise<void> {
    await this.writeChanges(plan, reason, meta, []);
  }

  async ship(
    plan: ShipmentPlan,
    details: { id: string; carrier: string | null; trackingNumber: string | null },
    reason: string | null,
    meta: RequestMeta,
  ): Promise<Shipment> {
    for (const { line, quantity } of plan.taken) line.quantityShipped += quantity;
    const lines = plan.taken.map(({ line, quantity }) => ({ sku: line.sku, quantity }));
    const shipment = this.tx.create(Shipment, {
      id: details.id,
      orderId: this.order.id,
      status: ShipmentStatus.SHIPPED,
      lines,
      carrier: details.carrier,
      trackingNumber: details.trackingNumber,
      shippedAt: new Date(),
    });
    this.tx.persist(shipment);
    this.shipments.push(shipment);
    await this.writeChanges(plan, reason, meta, [
      (facts, at) =>
        new OrderShipmentCreated(
          {
            ...facts,
            shipmentId: shipment.id,
            lines,
            carrier: details.carrier,
            trackingNumber: details.trackingNumber,
          },
          at,
        ),
    ]);
    return shipment;
  }

  async deliver(plan: DeliveryPlan, reason: string | null, meta: RequestMeta): Promise<void> {
    const now = new Date();
    for (const shipment of plan.shipments) {
      shipment.status = ShipmentStatus.DELIVERED;
      shipment.deliveredAt = now;
      for (const line of shipment.lines) this.lineOf(line.sku).quantityDelivered += line.quantity;
    }
    await this.writeChanges(
      plan,
      reason,
      meta,
      plan.shipments.map(
        (shipment) => (facts, at) =>
          new OrderShipmentDelivered({ ...facts, shipmentId: shipment.id, lines: copyLines(shipment.lines) }, at),
      ),
    );
  }

  /** Stock for the cancelled units comes back in this transaction. */
  async cancel(plan: CancellationPlan, reason: string | null, meta: RequestMeta): Promise<void> {
    for (const { line, quantity } of plan.taken) line.quantityCancelled += quantity;
    this.order.totalMinor = plan.money.totalMinor;
    this.order.refundDueMinor = plan.money.refundDueMinor;
    const lines = plan.taken.map(({ line, quantity }) => ({ sku: line.sku, quantity }));
    await this.inventory.release(this.tx, lines);
    // A whole order's cancellation is told by order.cancelled alone, which carries what is owed.
    const facts: EventOfChange[] = plan.wholeOrder
      ? []
      : [
          (change, at) =>
            new OrderLinesCancelled(
              {
                ...change,
                lines,
                refund: this.moneyData(plan.refundMinor),
                total: this.moneyData(this.order.totalMinor),
                refundDue: this.moneyData(this.order.refundDueMinor),
                reason,
              },
              at,
            ),
        ];
    await this.writeChanges(plan, reason, meta, facts);
  }

  /**
   * Writes the change: bumps the version once, then the facts' events and,
   * when the status moved, the status event, all with that version. A second
   * move (PARTIALLY_SHIPPED -> SHIPPED -> DELIVERED) is a change of its own.
   */
  private async writeChanges(plan: Plan, reason: string | null, meta: RequestMeta, facts: EventOfChange[]) {
    if (plan.moves.length === 0 && facts.length === 0) return;
    const steps: (OrderStatus | null)[] = plan.moves.length > 0 ? plan.moves : [null];
    let eventsOfFacts = facts;
    for (const to of steps) {
      const from = this.order.status;
      if (to !== null) this.order.status = to;
      this.order.updatedAt = new Date();
      await this.tx.flush(); // bumps the version, guarded by `where version = ?`
      const change: OrderChangeData = {
        orderId: this.order.id,
        customerId: this.ownerId,
        version: this.order.version,
        actor: actorLabel(plan.actor),
        fromStatus: from,
        toStatus: this.order.status,
      };
      const events = eventsOfFacts.map((build) => build(change, this.stamp()));
      if (to !== null) events.push(this.statusEvent(change, reason, this.stamp()));
      await persistEvents(this.tx, events, meta);
      this.events.push(...events);
      eventsOfFacts = [];
    }
    await this.tx.flush();
  }

  private statusEvent(change: OrderChangeData, reason: string | null, at: Date): AnyOrderEvent {
    const data = {
      ...change,
      total: this.moneyData(this.order.totalMinor),
      reason,
      refundDue: this.moneyData(this.order.refundDueMinor),
      unshipped: everythingLeft(this.items),
      shippingAddress: this.order.shippingAddress,
    };
    return change.toStatus === OrderStatus.CANCELLED ? new OrderCancelled(data, at) : new OrderStatusChanged(data, at);
  }

  /** The events of one transaction get increasing times, so the history lists them in the order they happened. */
  private stamp(): Date {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return new Date(this.lastStamp);
  }

  private checkedMoves(target: OrderStatus, actor: Actor): OrderStatus[] {
    const moves = movesTowards(this.status, target);
    let from = this.status;
    for (const to of moves) {
      assertTransition(from, to, actor, this.ownerId);
      from = to;
    }
    return moves;
  }

  private quantitiesAfter(taken: readonly Taken[], field: keyof LineQuantities): LineQuantities[] {
    return this.items.map((item) => {
      const added = taken.filter((t) => t.line === item).reduce((sum, t) => sum + t.quantity, 0);
      return {
        quantity: item.quantity,
        quantityShipped: item.quantityShipped,
        quantityDelivered: item.quantityDelivered,
        quantityCancelled: item.quantityCancelled,
        [field]: item[field] + added,
      };
    });
  }

  private lineOf(sku: string): OrderItem {
    const line = this.items.find((item) => item.sku === sku);
    if (!line) throw new Error(`shipment line ${sku} is not a line of order ${this.order.id}`);
    return line;
  }

  private money(): OrderMoney {
    return { totalMinor: this.order.totalMinor, refundDueMinor: this.order.refundDueMinor };
  }

  private moneyData(minorUnits: number): MoneyData {
    return { minorUnits, currencyCode: this.order.currency };
  }
}

function delivered(shipment: Shipment): { delivered: boolean } {
  return { delivered: shipment.status === ShipmentStatus.DELIVERED };
}

function copyLines(lines: readonly LineData[]): LineData[] {
  return lines.map((line) => ({ sku: line.sku, quantity: line.quantity }));
}
