// Order events as classes. Each becomes one outbox row (its envelope is the
// message on the wire) and, through the audit consumer, one OrderHistory row
// (historyEntryFor).
import { randomUUID } from 'node:crypto';
import { MalformedMessageError, parseEnvelope, type EventEnvelope } from '../outbox/envelope.js';
import { OrderStatus } from './status-machine.js';

export const OrderEventType = {
  CREATED: 'order.created',
  STATUS_CHANGED: 'order.status_changed',
  CANCELLED: 'order.cancelled',
} as const;
export type OrderEventType = (typeof OrderEventType)[keyof typeof OrderEventType];

export interface MoneyData {
  minorUnits: number;
  currencyCode: string;
}

export interface OrderCreatedData {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  version: number;
  total: MoneyData;
  items: { sku: string; quantity: number; unitPrice: MoneyData }[];
  actor: string;
}

export interface OrderStatusChangedData {
  orderId: string;
  customerId: string;
  fromStatus: OrderStatus;
  toStatus: OrderStatus;
  version: number;
  total: MoneyData;
  actor: string;
  reason: string | null;
}

abstract class OrderEvent<T extends { orderId: string; actor: string }> {
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

  toEnvelope(): EventEnvelope<T> {
    return { id: this.id, type: this.type, occurredAt: this.occurredAt.toISOString(), data: this.data };
  }
}

export class OrderCreated extends OrderEvent<OrderCreatedData> {
  readonly type = OrderEventType.CREATED;
}

export class OrderStatusChanged extends OrderEvent<OrderStatusChangedData> {
  readonly type = OrderEventType.STATUS_CHANGED;
}

/** A move to CANCELLED: its own routing key, the same payload as a status change. */
export class OrderCancelled extends OrderEvent<OrderStatusChangedData> {
  readonly type = OrderEventType.CANCELLED;
}

export type AnyOrderEvent = OrderCreated | OrderStatusChanged | OrderCancelled;

export interface HistoryEntryData {
  eventId: string;
  orderId: string;
  type: string;
  fromStatus: OrderStatus | null;
  toStatus: OrderStatus | null;
  actor: string;
  reason: string | null;
  occurredAt: Date;
}

/** The audit row an event stands for; works from the wire envelope so a consumer can use it too. */
export function historyEntryFor(envelope: EventEnvelope<OrderCreatedData | OrderStatusChangedData>): HistoryEntryData {
  const data = envelope.data;
  const created = envelope.type === OrderEventType.CREATED;
  return {
    eventId: envelope.id,
    orderId: data.orderId,
    type: envelope.type,
    fromStatus: created ? null : (data as OrderStatusChangedData).fromStatus,
    toStatus: created ? (data as OrderCreatedData).status : (data as OrderStatusChangedData).toStatus,
    actor: data.actor,
    reason: created ? null : ((data as OrderStatusChangedData).reason ?? null),
    occurredAt: new Date(envelope.occurredAt),
  };
}

const ORDER_EVENT_TYPES = new Set<string>(Object.values(OrderEventType));
const STATUSES = new Set<string>(Object.values(OrderStatus));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads an `order.*` message body far enough to audit it; anything off is MALFORMED_MESSAGE. */
export function parseOrderEvent(content: Buffer): EventEnvelope<OrderCreatedData | OrderStatusChangedData> {
  const envelope = parseEnvelope(content, (type) => ORDER_EVENT_TYPES.has(type));
  const data = envelope.data as Record<string, unknown>;
  if (!UUID.test(envelope.id)) throw new MalformedMessageError('envelope.id of an order event must be a UUID');
  if (typeof data.orderId !== 'string' || !UUID.test(data.orderId)) {
    throw new MalformedMessageError('data.orderId must be a UUID');
  }
  if (typeof data.actor !== 'string' || data.actor.length === 0 || data.actor.length > 100) {
    throw new MalformedMessageError('data.actor must be a string of 1..100 characters');
  }
  const statusFields = envelope.type === OrderEventType.CREATED ? ['status'] : ['fromStatus', 'toStatus'];
  for (const field of statusFields) {
    if (typeof data[field] !== 'string' || !STATUSES.has(data[field])) {
      throw new MalformedMessageError(`data.${field} must be an order status`);
    }
  }
  if (data.reason !== undefined && data.reason !== null && typeof data.reason !== 'string') {
    throw new MalformedMessageError('data.reason must be a string when present');
  }
  return envelope as EventEnvelope<OrderCreatedData | OrderStatusChangedData>;
}
