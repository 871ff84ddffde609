// Fulfilment of orders (SPEC section 10): shipments recorded by staff or
// reported by the shipping service, their delivery, and cancelling lines.
// Every change runs on the locked order (locked-order.ts): one version bump,
// its events through the outbox and the change feed, stock returned in the
// same transaction. Messages from the shipping service go through the inbox
// like payments; one that does not fit the order is recorded and changes nothing.
import { randomUUID } from 'node:crypto';
import { Role } from '../auth/index.js';
import type { InventoryService } from '../catalog/index.js';
import type { Orm } from '../db/orm.js';
import { DomainError, ForbiddenError, NotFoundError, UnreachableCaseError } from '../errors.js';
import {
  CARRIER_MAX,
  Shipment,
  SHIPMENT_ID_MAX,
  ShipmentStatus,
  TRACKING_NUMBER_MAX,
  type ShipmentDeliveredData,
  type ShipmentShippedData,
  type ShippingMessage,
} from '../fulfilment/index.js';
import type { CommittedEvents, RequestMeta } from './committed-events.js';
import type { LockedOrder } from './locked-order.js';
import { OrderChanges } from './order-changes.js';
import {
  parseExpectedVersion,
  parseLines,
  parseOptionalText,
  parseReason,
  parseShipmentId,
  parseUuid,
} from './order-input.js';
import type { OrderSnapshot } from './order-snapshot.js';
import { allowsLineOperation, OrderStatus, SHIPPING, type Actor } from './status-machine.js';

/** What a message from the shipping service did. */
export type ShippingOutcome =
  | { kind: 'applied'; status: OrderStatus; version: number }
  | { kind: 'duplicate'; why: string }
  /** A delivery that came before its shipment: kept, and applied when the shipment arrives. */
  | { kind: 'kept'; why: string }
  /** It disagrees with the order (more units than are left, an unpaid order, ...): nothing changed. */
  | { kind: 'ignored'; why: string };

interface LinesInput {
  orderId: string;
  lines: { sku: string; quantity: number }[];
  expectedVersion?: number | null;
}

export class OrderFulfilment {
  private readonly changes: OrderChanges;

  constructor(
    private readonly orm: Orm,
    inventory: InventoryService,
    committed: CommittedEvents,
  ) {
    this.changes = new OrderChanges(orm, inventory, committed);
  }

  /** createShipment (staff): units of some lines sent together; the order's status follows. */
  async createShipment(
    actor: Actor,
    input: LinesInput & { carrier?: string | null; trackingNumber?: string | null },
    meta: RequestMeta,
  ): Promise<OrderSnapshot> {
    const orderId = parseUuid(input.orderId, 'orderId');
    const lines = parseLines(input.lines);
    const details = {
      id: randomUUID(),
      carrier: parseOptionalText(input.carrier, 'carrier', CARRIER_MAX),
      trackingNumber: parseOptionalText(input.trackingNumber, 'trackingNumber', TRACKING_NUMBER_MAX),
    };
    const expectedVersion = parseExpectedVersion(input.expectedVersion);
    const { order } = await this.changes.change({ orderId, actor, expectedVersion }, async (locked) => {
      requireStaff(actor, 'Only staff record shipments');
      await locked.ship(locked.planShipment(actor, lines), details, null, meta);
    });
    return order.snapshot();
  }

  /** markShipmentDelivered (staff); delivering a delivered shipment again changes nothing and returns the order. */
  async markShipmentDelivered(actor: Actor, rawShipmentId: string, meta: RequestMeta): Promise<OrderSnapshot> {
    const shipmentId = parseShipmentId(rawShipmentId, SHIPMENT_ID_MAX);
    // Only to learn its order, which is then locked: a shipment never moves to another order.
    const found = await this.orm.em.fork().findOne(Shipment, { id: shipmentId });
    if (!found) throw new NotFoundError('Shipment not found');
    try {
      const { order } = await this.changes.change({ orderId: found.orderId, actor }, async (locked) => {
        requireStaff(actor, 'Only staff mark shipments delivered');
        const shipment = locked.shipments.find((s) => s.id === shipmentId);
        if (!shipment) throw new NotFoundError('Shipment not found');
        const plan = locked.planDelivery(actor, [shipment]);
        if (plan) await locked.deliver(plan, null, meta);
      });
      return order.snapshot();
    } catch (error) {
      // Someone else's order: the shipment is as missing as the order would be.
      if (error instanceof NotFoundError) throw new NotFoundError('Shipment not found');
      throw error;
    }
  }

  /** cancelOrderLines: units not shipped; staff on orders not yet shipped in full, the customer on their own unpaid one. */
  async cancelOrderLines(
    actor: Actor,
    input: LinesInput & { reason?: string | null },
    meta: RequestMeta,
  ): Promise<OrderSnapshot> {
    const orderId = parseUuid(input.orderId, 'orderId');
    const lines = parseLines(input.lines);
    const reason = parseReason(input.reason);
    const expectedVersion = parseExpectedVersion(input.expectedVersion);
    const { order } = await this.changes.change({ orderId, actor, expectedVersion }, async (locked) => {
      await locked.cancel(locked.planCancellation(actor, lines), reason, meta);
    });
    return order.snapshot();
  }

  /**
   * Applies a message of the shipping service: records its id in the inbox
   * and applies it, in one transaction. An unknown order throws (retried,
   * then dead-lettered); a message that disagrees with the order is recorded
   * and changes nothing (the outcome says why).
   */
  async applyShippingMessage(
    message: ShippingMessage,
    delivery: { consumer: string; correlationId: string | null },
  ): Promise<ShippingOutcome> {
    const meta = { correlationId: delivery.correlationId };
    const { result } = await this.changes.change(
      { orderId: message.data.orderId, actor: SHIPPING },
      async (order): Promise<ShippingOutcome> => {
        if (!(await order.firstSight(delivery.consumer, message.id))) {
          return { kind: 'duplicate', why: `message ${message.id} was applied before` };
        }
        switch (message.type) {
          case 'shipment.shipped':
            return shipped(order, message.data, meta);
          case 'shipment.delivered':
            return delivered(order, message.data, message.id, meta);
          default:
            throw new UnreachableCaseError(message);
        }
      },
    );
    return result;
  }
}

function requireStaff(actor: Actor, message: string): void {
  if (actor.kind === 'user' && actor.role !== Role.ADMIN) throw new ForbiddenError(message);
}

/** The plan, or why the order refuses it; only rule errors are a refusal, anything else is a failure. */
function planOrWhy<T>(plan: () => T): T | { why: string } {
  try {
    return plan();
  } catch (error) {
    if (error instanceof DomainError) return { why: error.message };
    throw error;
  }
}

async function shipped(order: LockedOrder, data: ShipmentShippedData, meta: RequestMeta): Promise<ShippingOutcome> {
  if (order.shipments.some((s) => s.id === data.shipmentId)) {
    return { kind: 'duplicate', why: `shipment ${data.shipmentId} is already recorded` };
  }
  const elsewhere = await order.orderOfForeignShipment(data.shipmentId);
  if (elsewhere) return { kind: 'ignored', why: `shipment ${data.shipmentId} belongs to order ${elsewhere}` };
  const plan = planOrWhy(() => order.planShipment(SHIPPING, data.lines));
  if ('why' in plan) return { kind: 'ignored', why: plan.why };
  const shipment = await order.ship(
    plan,
    { id: data.shipmentId, carrier: data.carrier, trackingNumber: data.trackingNumber },
    null,
    meta,
  );
  if (await order.takeEarlyDelivery(shipment.id)) {
    // Its delivery came first: applied now, as a change of its own.
    const delivery = order.planDelivery(SHIPPING, [shipment]);
    if (delivery) await order.deliver(delivery, null, meta);
  }
  return { kind: 'applied', status: order.status, version: order.version };
}

async function delivered(
  order: LockedOrder,
  data: ShipmentDeliveredData,
  messageId: string,
  meta: RequestMeta,
): Promise<ShippingOutcome> {
  const shipment = order.shipments.find((s) => s.id === data.shipmentId);
  if (!shipment) {
    const elsewhere = await order.orderOfForeignShipment(data.shipmentId);
    if (elsewhere) return { kind: 'ignored', why: `shipment ${data.shipmentId} belongs to order ${elsewhere}` };
    if (!allowsLineOperation('ship', order.status, SHIPPING, order.ownerId)) {
      return {
        kind: 'ignored',
        why: `shipment ${data.shipmentId} is unknown, and a ${order.status} order ships no more`,
      };
    }
    await order.keepEarlyDelivery(data.shipmentId, messageId);
    return {
      kind: 'kept',
      why: `shipment ${data.shipmentId} is not recorded yet: its delivery is applied when shipment.shipped arrives`,
    };
  }
  if (shipment.status === ShipmentStatus.DELIVERED) {
    return { kind: 'duplicate', why: `shipment ${shipment.id} is already delivered` };
  }
  const plan = planOrWhy(() => order.planDelivery(SHIPPING, [shipment]));
  if (plan === null) return { kind: 'duplicate', why: `shipment ${shipment.id} is already delivered` };
  if ('why' in plan) return { kind: 'ignored', why: plan.why };
  await order.deliver(plan, null, meta);
  return { kind: 'applied', status: order.status, version: order.version };
}
