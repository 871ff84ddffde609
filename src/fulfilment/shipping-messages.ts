// What the shipping service sends (SPEC section 10, docs/events.md):
// `shipment.shipped` and `shipment.delivered` on the `shipping` exchange, read
// strictly. A body that breaks the contract is MALFORMED_MESSAGE (retried,
// then dead-lettered); whether a well-formed message fits the order is the
// order's business (orders/order-fulfilment.service.ts).
import { RoutingKey } from '../broker/topology.js';
import { isUuid } from '../ids.js';
import { isRecord, MalformedMessageError, parseEnvelope, type EventEnvelope } from '../outbox/envelope.js';
import type { ShipmentLine } from './shipment.entity.js';

export interface ShipmentShippedData {
  orderId: string;
  shipmentId: string;
  lines: ShipmentLine[];
  carrier: string | null;
  trackingNumber: string | null;
}

export interface ShipmentDeliveredData {
  orderId: string;
  shipmentId: string;
}

export type ShippingMessage =
  | (EventEnvelope<ShipmentShippedData> & { type: typeof RoutingKey.SHIPMENT_SHIPPED })
  | (EventEnvelope<ShipmentDeliveredData> & { type: typeof RoutingKey.SHIPMENT_DELIVERED });

export const SHIPMENT_ID_MAX = 200;
export const CARRIER_MAX = 100;
export const TRACKING_NUMBER_MAX = 200;
const MAX_LINES = 100;
const SKU_MAX = 64;
const QUANTITY_MAX = 1000;

/** Printable text of 1..max characters (no control characters: they end up in emails and logs). */
export function isPrintable(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max && !/\p{Cc}/u.test(value);
}

function optionalText(data: Record<string, unknown>, field: string, max: number): string | null {
  const value = data[field];
  if (value === undefined || value === null || value === '') return null;
  if (!isPrintable(value, max)) {
    throw new MalformedMessageError(`data.${field} must be printable text of at most ${max} characters, or null`);
  }
  return value;
}

function lines(value: unknown): ShipmentLine[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LINES) {
    throw new MalformedMessageError(`data.lines must be a list of 1..${MAX_LINES} {sku, quantity}`);
  }
  const seen = new Set<string>();
  return value.map((line: unknown, i) => {
    if (!isRecord(line) || !isPrintable(line.sku, SKU_MAX)) {
      throw new MalformedMessageError(`data.lines[${i}].sku must be a sku of 1..${SKU_MAX} characters`);
    }
    const { sku, quantity } = line;
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > QUANTITY_MAX) {
      throw new MalformedMessageError(`data.lines[${i}].quantity must be a whole number from 1 to ${QUANTITY_MAX}`);
    }
    if (seen.has(sku)) throw new MalformedMessageError(`data.lines lists sku ${sku} twice`);
    seen.add(sku);
    return { sku, quantity };
  });
}

/** Parses a message from the `shipping` exchange; anything off is MALFORMED_MESSAGE with what is wrong. */
export function parseShippingMessage(content: Buffer): ShippingMessage {
  const envelope = parseEnvelope(
    content,
    (type) => type === RoutingKey.SHIPMENT_SHIPPED || type === RoutingKey.SHIPMENT_DELIVERED,
  );
  const data = envelope.data as Record<string, unknown>;
  if (!isUuid(data.orderId)) throw new MalformedMessageError('data.orderId must be a UUID');
  if (!isPrintable(data.shipmentId, SHIPMENT_ID_MAX)) {
    throw new MalformedMessageError(`data.shipmentId must be printable text of 1..${SHIPMENT_ID_MAX} characters`);
  }
  const common = { orderId: data.orderId.toLowerCase(), shipmentId: data.shipmentId };
  if (envelope.type === RoutingKey.SHIPMENT_DELIVERED) {
    return { ...envelope, type: RoutingKey.SHIPMENT_DELIVERED, data: common };
  }
  return {
    ...envelope,
    type: RoutingKey.SHIPMENT_SHIPPED,
    data: {
      ...common,
      lines: lines(data.lines),
      carrier: optionalText(data, 'carrier', CARRIER_MAX),
      trackingNumber: optionalText(data, 'trackingNumber', TRACKING_NUMBER_MAX),
    },
  };
}
