// The stand-in for the external payment service, for development: answers
// every order.created with a payment.processed for the order total after a
// delay, on the same contract a real payment service uses (docs/events.md).
// The answer's id is derived from the order event's id, so a redelivered
// order.created yields the same PaymentProcessed, which the inbox drops.
import { createHash } from 'node:crypto';
import type { Broker, MessageHandler } from '../src/broker/broker.js';
import { Exchange, RoutingKey } from '../src/broker/topology.js';
import type { Logger } from '../src/logger.js';
import {
  OrderEventType,
  parseOrderEvent,
  type OrderCreatedData,
  PaymentStatus,
  type PaymentProcessedData,
} from '../src/orders/index.js';
import type { EventEnvelope } from '../src/outbox/envelope.js';

export interface PaymentSimulatorOptions {
  delayMs: number;
  /** 0..1: share of payments that fail. */
  failureRate: number;
}

/** A UUID-shaped id that is the same every time for the same input. */
export function derivedId(input: string): string {
  const hex = createHash('sha256').update(input).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The simulated payment for an order: deterministic per order event, failing for the given share of orders. */
export function simulatedPayment(
  created: EventEnvelope<OrderCreatedData>,
  failureRate: number,
): EventEnvelope<PaymentProcessedData> {
  const id = derivedId(`payment.processed:${created.id}`);
  // The same order always draws the same number, so a redelivery cannot turn a failure into a success.
  const draw = parseInt(id.slice(0, 8), 16) / 0xffffffff;
  const failed = draw < failureRate;
  return {
    id,
    type: RoutingKey.PAYMENT_PROCESSED,
    occurredAt: new Date().toISOString(),
    data: {
      orderId: created.data.orderId,
      paymentId: `sim_${id.slice(0, 8)}${id.slice(24)}`,
      status: failed ? PaymentStatus.FAILED : PaymentStatus.SUCCEEDED,
      amount: created.data.total,
      ...(failed ? { reason: 'Card declined (simulated)' } : {}),
    },
  };
}

export function paymentSimulatorHandler(
  broker: Broker,
  options: PaymentSimulatorOptions,
  logger: Logger,
): MessageHandler {
  return async (delivery) => {
    const event = parseOrderEvent(delivery.content);
    if (event.type !== OrderEventType.CREATED) return;
    await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const payment = simulatedPayment(event, options.failureRate);
    await broker.publish({
      exchange: Exchange.PAYMENTS,
      routingKey: RoutingKey.PAYMENT_PROCESSED,
      messageId: payment.id,
      type: payment.type,
      body: payment,
      correlationId: delivery.correlationId ?? null,
    });
    logger.info({ orderId: payment.data.orderId, status: payment.data.status }, 'simulated payment sent');
  };
}
