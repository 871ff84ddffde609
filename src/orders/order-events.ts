// Order events as classes. Each becomes one outbox row (its envelope is the
// message on the wire) and, through the audit consumer, one OrderHistory row.
// Every event carries its own facts (from and to status, version, actor):
// listeners read them with factsOf, never work them out again.
//
// One change of an order bumps its version once, whatever it holds: a
// shipment that also moves the status is one change with two events
// (order.shipment_created, then order.status_changed), both carrying the same
// version and the same from and to status. The change feed keeps one row per
// change (change-feed.ts), so subscribers hear of each version exactly once.
//
// Long on purpose: one class per event, each next to its data, so the whole
// message contract of docs/events.md is read in one file.
import { randomUUID } from 'node:crypto';
import { UnreachableCaseError } from '../errors.js';
import { isUuid } from '../ids.js';
import { isRecord, MalformedMessageError, parseEnvelope, type EventEnvelope } from '../outbox/envelope.js';
import { OrderStatus } from './status-machine.js';

export const OrderEventType = {
  CREATED: 'order.created',
  STATUS_CHANGED: 'order.status_changed',
  CANCELLED: 'order.cancelled',
  SHIPMENT_CREATED: 'order.shipment_created',
  SHIPMENT_DELIVERED: 'order.shipment_delivered',
  LINES_CANCELLED: 'order.lines_cancelled',
} as const;
export type OrderEventType = (typeof OrderEventType)[keyof typeof OrderEventType];

export interface MoneyData {
  minorUnits: number;
  currencyCode: string;
}

/** Units of one sku: a shipment's line, a cancelled line, a line left to ship. */
export interface LineData {
  sku: string;
  quantity: number;
}

interface OrderEventData {
  orderId: string;
  customerId: string;
  /** The order's version after the event. */
  version: number;
  /** A user id, or `system:<name>`. */
  actor: string;
}

export interface OrderCreatedData extends OrderEventData {
  status: OrderStatus;
  total: MoneyData;
  items: { sku: string; quantity: number; unitPrice: MoneyData }[];
}

/** What every event of a change says: the order's status before and after it (equal when it did not move). */
export interface OrderChangeData extends OrderEventData {
  fromStatus: OrderStatus;
  toStatus: OrderStatus;
}

export interface OrderStatusChangedData extends OrderChangeData {
  total: MoneyData;
  reason: string | null;
  // The three below are absent on events written before fulfilment existed.
  /** What is owed back to the customer after the move (a cancelled paid order: what was charged for units not shipped). */
  refundDue?: MoneyData;
  /** Units neither shipped nor cancelled, line by line: what the shipping service ships when the order is PAID. */
  unshipped?: LineData[];
  shippingAddress?: string;
}

export interface ShipmentCreatedData extends OrderChangeData {
  shipmentId: string;
  lines: LineData[];
  carrier: string | null;
  trackingNumber: string | null;
}

export interface ShipmentDeliveredData extends OrderChangeData {
  shipmentId: string;
  lines: LineData[];
}

export interface LinesCancelledData extends OrderChangeData {
  lines: LineData[];
  /** What this cancellation adds to what is owed: their price on a paid order, nothing on an unpaid one. */
  refund: MoneyData;
  /** The order's total after it (unpaid, it dropped by their price). */
  total: MoneyData;
  /** Everything owed back to the customer after it. */
  refundDue: MoneyData;
  reason: string | null;
}

/** An order event as it travels: the type names the shape of its data. */
export type OrderEventEnvelope =
  | (EventEnvelope<OrderCreatedData> & { type: typeof OrderEventType.CREATED })
  | (EventEnvelope<OrderStatusChangedData> & { type: typeof OrderEventType.STATUS_CHANGED })
  | (EventEnvelope<OrderStatusChangedData> & { type: typeof OrderEventType.CANCELLED })
  | (EventEnvelope<ShipmentCreatedData> & { type: typeof OrderEventType.SHIPMENT_CREATED })
  | (EventEnvelope<ShipmentDeliveredData> & { type: typeof OrderEventType.SHIPMENT_DELIVERED })
  | (EventEnvelope<LinesCancelledData> & { type: typeof OrderEventType.LINES_CANCELLED });

/** What every order event says, whatever its type: the audit trail and live updates are made of this. */
export interface OrderEventFacts {
  eventId: string;
  type: OrderEventType;
  orderId: string;
  customerId: string;
  version: number;
  /** Null for the order's creation. */
  fromStatus: OrderStatus | null;
  toStatus: OrderStatus;
  actor: string;
  reason: string | null;
  occurredAt: Date;
}

export function factsOf(envelope: OrderEventEnvelope): OrderEventFacts {
  const common = {
    eventId: envelope.id,
    type: envelope.type,
    orderId: envelope.data.orderId,
    customerId: envelope.data.customerId,
    version: envelope.data.version,
    actor: envelope.data.actor,
    occurredAt: new Date(envelope.occurredAt),
  };
  switch (envelope.type) {
    case OrderEventType.CREATED:
      return { ...common, fromStatus: null, toStatus: envelope.data.status, reason: null };
    case OrderEventType.STATUS_CHANGED:
    case OrderEventType.CANCELLED:
    case OrderEventType.LINES_CANCELLED:
      return {
        ...common,
        fromStatus: envelope.data.fromStatus,
        toStatus: envelope.data.toStatus,
        reason: envelope.data.reason ?? null,
      };
    case OrderEventType.SHIPMENT_CREATED:
    case OrderEventType.SHIPMENT_DELIVERED:
      return { ...common, fromStatus: envelope.data.fromStatus, toStatus: envelope.data.toStatus, reason: null };
    default:
      throw new UnreachableCaseError(envelope);
  }
}

abstract class OrderEvent<T extends OrderEventData> {
  readonly id = randomUUID();
  readonly occurredAt: Date;
  abstract readonly type: OrderEventType;

  constructor(
    readonly data: T,
    occurredAt = new Date(),
  ) {
    this.occurredAt = occurredAt;
  }

  get orderId(): string {
    return this.data.orderId;
  }

  /** The outbox keeps the events of one order in order. */
  get aggregateId(): string {
    return this.data.orderId;
  }

  abstract toEnvelope(): OrderEventEnvelope;

  facts(): OrderEventFacts {
    return factsOf(this.toEnvelope());
  }

  protected envelope(): EventEnvelope<T> {
    return { id: this.id, type: this.type, occurredAt: this.occurredAt.toISOString(), data: this.data };
  }
}

export class OrderCreated extends OrderEvent<OrderCreatedData> {
  readonly type = OrderEventType.CREATED;
  toEnvelope(): OrderEventEnvelope {
    return { ...this.envelope(), type: this.type };
  }
}

export class OrderStatusChanged extends OrderEvent<OrderStatusChangedData> {
  readonly type = OrderEventType.STATUS_CHANGED;
  toEnvelope(): OrderEventEnvelope {
    return { ...this.envelope(), type: this.type };
  }
}

/** A move to CANCELLED: its own routing key, the same payload as a status change. */
export class OrderCancelled extends OrderEvent<OrderStatusChangedData> {
  readonly type = OrderEventType.CANCELLED;
  toEnvelope(): OrderEventEnvelope {
    return { ...this.envelope(), type: this.type };
  }
}

export class OrderShipmentCreated extends OrderEvent<ShipmentCreatedData> {
  readonly type = OrderEventType.SHIPMENT_CREATED;
  toEnvelope(): OrderEventEnvelope {
    return { ...this.envelope(), type: this.type };
  }
}

export class OrderShipmentDelivered extends OrderEvent<ShipmentDeliveredData> {
  readonly type = OrderEventType.SHIPMENT_DELIVERED;
  toEnvelope(): OrderEventEnvelope {
    return { ...this.envelope(), type: this.type };
  }
}

export class OrderLinesCancelled extends OrderEvent<LinesCancelledData> {
  readonly type = OrderEventType.LINES_CANCELLED;
  toEnvelope(): OrderEventEnvelope {
    return { ...this.envelope(), type: this.type };
  }
}

export type AnyOrderEvent =
  | OrderCreated
  | OrderStatusChanged
  | OrderCancelled
  | OrderShipmentCreated
  | OrderShipmentDelivered
  | OrderLinesCancelled;

const ORDER_EVENT_TYPES = new Set<string>(Object.values(OrderEventType));
const STATUSES = new Set<string>(Object.values(OrderStatus));

function requireStatus(data: Record<string, unknown>, field: string): void {
  if (typeof data[field] !== 'string' || !STATUSES.has(data[field])) {
    throw new MalformedMessageError(`data.${field} must be an order status`);
  }
}

function requireOptionalString(data: Record<string, unknown>, field: string): void {
  if (data[field] !== undefined && data[field] !== null && typeof data[field] !== 'string') {
    throw new MalformedMessageError(`data.${field} must be a string when present`);
  }
}

function requireShipmentId(data: Record<string, unknown>): void {
  const id = data.shipmentId;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) {
    throw new MalformedMessageError('data.shipmentId must be a string of 1..200 characters');
  }
}

function requireLines(data: Record<string, unknown>): void {
  const lines = data.lines;
  const valid =
    Array.isArray(lines) &&
    lines.every(
      (line: unknown) =>
        isRecord(line) &&
        typeof line.sku === 'string' &&
        typeof line.quantity === 'number' &&
        Number.isInteger(line.quantity) &&
        line.quantity > 0,
    );
  if (!valid) throw new MalformedMessageError('data.lines must be a list of {sku, quantity}');
}

/** Reads an `order.*` message body far enough to audit and notify it; anything off is MALFORMED_MESSAGE. */
export function parseOrderEvent(content: Buffer): OrderEventEnvelope {
  const envelope = parseEnvelope(content, (type) => ORDER_EVENT_TYPES.has(type));
  const data = envelope.data as Record<string, unknown>;
  if (!isUuid(envelope.id)) throw new MalformedMessageError('envelope.id of an order event must be a UUID');
  if (!isUuid(data.orderId)) throw new MalformedMessageError('data.orderId must be a UUID');
  if (!isUuid(data.customerId)) throw new MalformedMessageError('data.customerId must be a UUID');
  if (typeof data.version !== 'number' || !Number.isSafeInteger(data.version) || data.version < 1) {
    throw new MalformedMessageError('data.version must be a positive integer');
  }
  if (typeof data.actor !== 'string' || data.actor.length === 0 || data.actor.length > 100) {
    throw new MalformedMessageError('data.actor must be a string of 1..100 characters');
  }
  const type = envelope.type as OrderEventType;
  switch (type) {
    case OrderEventType.CREATED:
      requireStatus(data, 'status');
      break;
    case OrderEventType.STATUS_CHANGED:
    case OrderEventType.CANCELLED:
      requireStatus(data, 'fromStatus');
      requireStatus(data, 'toStatus');
      requireOptionalString(data, 'reason');
      break;
    case OrderEventType.SHIPMENT_CREATED:
      requireStatus(data, 'fromStatus');
      requireStatus(data, 'toStatus');
      requireShipmentId(data);
      requireLines(data);
      requireOptionalString(data, 'carrier');
      requireOptionalString(data, 'trackingNumber');
      break;
    case OrderEventType.SHIPMENT_DELIVERED:
      requireStatus(data, 'fromStatus');
      requireStatus(data, 'toStatus');
      requireShipmentId(data);
      requireLines(data);
      break;
    case OrderEventType.LINES_CANCELLED:
      requireStatus(data, 'fromStatus');
      requireStatus(data, 'toStatus');
      requireLines(data);
      requireOptionalString(data, 'reason');
      break;
    default:
      throw new UnreachableCaseError(type);
  }
  return envelope as OrderEventEnvelope;
}
