// The stand-in for the external shipping service, for development: it speaks
// the same contract a real one does (docs/events.md). Each order that becomes
// PAID is shipped after a delay, in two shipments when it has more than one
// line (a second delay apart); each of its shipments is delivered a delay
// after the order service recorded it. Ids are derived from the events
// answered, so a redelivered event yields the same messages, which the order
// service drops as duplicates.
import type { Broker, MessageHandler } from '../src/broker/broker.js';
import { Exchange, RoutingKey } from '../src/broker/topology.js';
import type { ShipmentDeliveredData, ShipmentShippedData } from '../src/fulfilment/index.js';
import type { Logger } from '../src/logger.js';
import { OrderEventType, OrderStatus, parseOrderEvent, type LineData } from '../src/orders/index.js';
import type { EventEnvelope } from '../src/outbox/envelope.js';
import { derivedId } from './payment-simulator.js';

export interface ShippingSimulatorOptions {
  delayMs: number;
}

/** The simulator's shipments carry ids of this form, so it delivers only its own. */
export const SIMULATED_SHIPMENT_PREFIX = 'SIM-';
const CARRIERS = ['DHL', 'UPS', 'DPD', 'GLS'];

/** The shipments for a paid order's lines: one, or two when it has more than one line. */
export function plannedShipments(
  paidEventId: string,
  orderId: string,
  unshipped: readonly LineData[],
): EventEnvelope<ShipmentShippedData>[] {
  const lines = unshipped.filter((line) => line.quantity > 0);
  const half = Math.ceil(lines.length / 2);
  const parts = lines.length > 1 ? [lines.slice(0, half), lines.slice(half)] : [lines];
  return parts
    .filter((part) => part.length > 0)
    .map((part, i) => {
      const id = derivedId(`shipment.shipped:${paidEventId}:${i}`);
      const tracking = parseInt(id.slice(0, 8), 16);
      return {
        id,
        type: RoutingKey.SHIPMENT_SHIPPED,
        occurredAt: new Date().toISOString(),
        data: {
          orderId,
          shipmentId: `${SIMULATED_SHIPMENT_PREFIX}${id.slice(0, 8).toUpperCase()}`,
          lines: part.map((line) => ({ sku: line.sku, quantity: line.quantity })),
          carrier: CARRIERS[tracking % CARRIERS.length] ?? 'DHL',
          trackingNumber: `SIM${String(tracking).padStart(10, '0')}`,
        },
      };
    });
}

export function plannedDelivery(
  shipmentEventId: string,
  orderId: string,
  shipmentId: string,
): EventEnvelope<ShipmentDeliveredData> {
  return {
    id: derivedId(`shipment.delivered:${shipmentEventId}`),
    type: RoutingKey.SHIPMENT_DELIVERED,
    occurredAt: new Date().toISOString(),
    data: { orderId, shipmentId },
  };
}

export function shippingSimulatorHandler(
  broker: Broker,
  options: ShippingSimulatorOptions,
  logger: Logger,
): MessageHandler {
  const wait = () => new Promise((resolve) => setTimeout(resolve, options.delayMs));
  const send = async (message: EventEnvelope, correlationId: string | null) => {
    await broker.publish({
      exchange: Exchange.SHIPPING,
      routingKey: message.type,
      messageId: message.id,
      type: message.type,
      body: message,
      correlationId,
    });
  };
  return async (delivery) => {
    const event = parseOrderEvent(delivery.content);
    const correlationId = delivery.correlationId ?? null;
    if (event.type === OrderEventType.STATUS_CHANGED && event.data.toStatus === OrderStatus.PAID) {
      for (const shipment of plannedShipments(event.id, event.data.orderId, event.data.unshipped ?? [])) {
        await wait();
        await send(shipment, correlationId);
        logger.info(
          { orderId: shipment.data.orderId, shipmentId: shipment.data.shipmentId },
          'simulated shipment sent',
        );
      }
    } else if (
      event.type === OrderEventType.SHIPMENT_CREATED &&
      event.data.shipmentId.startsWith(SIMULATED_SHIPMENT_PREFIX)
    ) {
      await wait();
      await send(plannedDelivery(event.id, event.data.orderId, event.data.shipmentId), correlationId);
      logger.info({ orderId: event.data.orderId, shipmentId: event.data.shipmentId }, 'simulated delivery sent');
    }
  };
}
