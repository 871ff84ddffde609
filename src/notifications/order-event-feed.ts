// The order events the notifications consumer understands, as one
// discriminated union: today's (order-events.ts) and those fulfilment (SPEC
// section 10) adds. Adding an event type here makes every exhaustive switch
// over NotifiableEvent fail to compile until it handles the new type.
import { UnreachableCaseError } from '../errors.js';
import { isUuid } from '../ids.js';
import { MalformedMessageError, parseEnvelope, type EventEnvelope } from '../outbox/envelope.js';
import { OrderEventType, parseOrderEvent, type MoneyData, type OrderEventEnvelope } from '../orders/index.js';

type DataOf<T extends OrderEventEnvelope['type']> = Extract<OrderEventEnvelope, { type: T }>['data'];
export type OrderCreatedData = DataOf<typeof OrderEventType.CREATED>;
export type OrderStatusChangedData = DataOf<typeof OrderEventType.STATUS_CHANGED>;

export const FulfilmentEventType = {
  SHIPMENT_CREATED: 'order.shipment_created',
  SHIPMENT_DELIVERED: 'order.shipment_delivered',
  LINES_CANCELLED: 'order.lines_cancelled',
} as const;

export interface LineData {
  sku: string;
  quantity: number;
}

export interface ShipmentCreatedData {
  orderId: string;
  shipmentId: string;
  lines: LineData[];
  carrier: string | null;
  trackingNumber: string | null;
  actor: string;
}

export interface ShipmentDeliveredData {
  orderId: string;
  shipmentId: string;
  actor: string;
}

export interface LinesCancelledData {
  orderId: string;
  lines: LineData[];
  /** What the customer is owed for these lines when the order was paid. */
  refundDue?: MoneyData | null;
  reason?: string | null;
  actor: string;
}

/** A cancellation; fulfilment adds what the customer is owed back. */
export type OrderCancelledData = OrderStatusChangedData & { refundDue?: MoneyData | null };

export type NotifiableEvent =
  | { type: typeof OrderEventType.CREATED; envelope: EventEnvelope<OrderCreatedData> }
  | { type: typeof OrderEventType.STATUS_CHANGED; envelope: EventEnvelope<OrderStatusChangedData> }
  | { type: typeof OrderEventType.CANCELLED; envelope: EventEnvelope<OrderCancelledData> }
  | { type: typeof FulfilmentEventType.SHIPMENT_CREATED; envelope: EventEnvelope<ShipmentCreatedData> }
  | { type: typeof FulfilmentEventType.SHIPMENT_DELIVERED; envelope: EventEnvelope<ShipmentDeliveredData> }
  | { type: typeof FulfilmentEventType.LINES_CANCELLED; envelope: EventEnvelope<LinesCancelledData> };

export type NotifiableEventType = NotifiableEvent['type'];

/** Every routing key a webhook endpoint may subscribe to (besides `*`). */
export const NOTIFIABLE_EVENT_TYPES: readonly NotifiableEventType[] = [
  OrderEventType.CREATED,
  OrderEventType.STATUS_CHANGED,
  OrderEventType.CANCELLED,
  FulfilmentEventType.SHIPMENT_CREATED,
  FulfilmentEventType.SHIPMENT_DELIVERED,
  FulfilmentEventType.LINES_CANCELLED,
];

export function isNotifiableEventType(type: string): type is NotifiableEventType {
  return (NOTIFIABLE_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * Reads an `order.*` message. An unknown type is MALFORMED_MESSAGE: retried,
 * then dead-lettered, to be replayed once a version that knows it runs.
 */
export function parseNotifiableEvent(content: Buffer): NotifiableEvent {
  const envelope = parseEnvelope(content, isNotifiableEventType);
  const type = envelope.type as NotifiableEventType;
  switch (type) {
    case OrderEventType.CREATED:
    case OrderEventType.STATUS_CHANGED:
    case OrderEventType.CANCELLED:
      // The audit consumer's own checks: one rule for what a valid order event is.
      return { type, envelope: parseOrderEvent(content) } as NotifiableEvent;
    case FulfilmentEventType.SHIPMENT_CREATED:
    case FulfilmentEventType.SHIPMENT_DELIVERED:
    case FulfilmentEventType.LINES_CANCELLED:
      return { type, envelope: checkFulfilmentEvent(type, envelope) } as NotifiableEvent;
    default:
      throw new UnreachableCaseError(type);
  }
}

function checkFulfilmentEvent(type: string, envelope: EventEnvelope<unknown>): EventEnvelope<unknown> {
  const data = envelope.data as Record<string, unknown>;
  if (!isUuid(envelope.id)) throw new MalformedMessageError('envelope.id of an order event must be a UUID');
  if (!isUuid(data.orderId)) throw new MalformedMessageError('data.orderId must be a UUID');
  if (typeof data.actor !== 'string' || data.actor.length === 0)
    throw new MalformedMessageError('data.actor is missing');
  if (type !== FulfilmentEventType.LINES_CANCELLED) {
    if (typeof data.shipmentId !== 'string' || data.shipmentId.length === 0 || data.shipmentId.length > 200) {
      throw new MalformedMessageError('data.shipmentId must be a string of 1..200 characters');
    }
  }
  if (type !== FulfilmentEventType.SHIPMENT_DELIVERED) {
    const lines = data.lines;
    const valid =
      Array.isArray(lines) &&
      lines.every(
        (line: unknown) =>
          typeof line === 'object' &&
          line !== null &&
          typeof (line as LineData).sku === 'string' &&
          Number.isInteger((line as LineData).quantity),
      );
    if (!valid) throw new MalformedMessageError('data.lines must be a list of {sku, quantity}');
  }
  for (const field of ['carrier', 'trackingNumber', 'reason']) {
    if (data[field] !== undefined && data[field] !== null && typeof data[field] !== 'string') {
      throw new MalformedMessageError(`data.${field} must be a string when present`);
    }
  }
  return envelope;
}
