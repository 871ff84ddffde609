// PaymentProcessed as this service reads it, and the rule for what a
// payment does to an order. Which moves exist stays in the status machine;
// this only says which one a payment asks for.
import { isRecord, MalformedMessageError, parseEnvelope, type EventEnvelope } from '../outbox/envelope.js';
import { RoutingKey } from '../broker/topology.js';
import { isUuid } from '../ids.js';
import { formatMinorUnits, isCurrencyCode, MAX_MINOR_UNITS } from '../money.js';
import { canTransition, OrderStatus, PAYMENTS } from './status-machine.js';
import type { MoneyData } from './order-events.js';

export const PaymentStatus = { SUCCEEDED: 'SUCCEEDED', FAILED: 'FAILED' } as const;
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];

export interface PaymentProcessedData {
  orderId: string;
  paymentId: string;
  status: PaymentStatus;
  amount: MoneyData;
  reason?: string | null;
}

/** Parses a `payment.processed` message body; anything off is MALFORMED_MESSAGE with what is wrong. */
export function parsePaymentProcessed(content: Buffer): EventEnvelope<PaymentProcessedData> {
  const envelope = parseEnvelope(content, (type) => type === RoutingKey.PAYMENT_PROCESSED);
  const data = envelope.data as Record<string, unknown>;
  const { orderId, paymentId, status, amount, reason } = data;
  if (!isUuid(orderId)) throw new MalformedMessageError('data.orderId must be a UUID');
  if (typeof paymentId !== 'string' || paymentId.length === 0 || paymentId.length > 200) {
    throw new MalformedMessageError('data.paymentId must be a non-empty string');
  }
  if (status !== PaymentStatus.SUCCEEDED && status !== PaymentStatus.FAILED) {
    throw new MalformedMessageError('data.status must be SUCCEEDED or FAILED');
  }
  if (!isRecord(amount)) throw new MalformedMessageError('data.amount must be {minorUnits, currencyCode}');
  const { minorUnits, currencyCode } = amount;
  if (
    typeof minorUnits !== 'number' ||
    !Number.isSafeInteger(minorUnits) ||
    minorUnits < 0 ||
    minorUnits > MAX_MINOR_UNITS
  ) {
    throw new MalformedMessageError('data.amount.minorUnits must be a non-negative integer');
  }
  if (typeof currencyCode !== 'string' || !isCurrencyCode(currencyCode)) {
    throw new MalformedMessageError('data.amount.currencyCode must be an ISO 4217 code');
  }
  if (reason !== undefined && reason !== null && typeof reason !== 'string') {
    throw new MalformedMessageError('data.reason must be a string when present');
  }
  return {
    ...envelope,
    data: {
      orderId: orderId.toLowerCase(),
      paymentId,
      status,
      amount: { minorUnits, currencyCode },
      reason: typeof reason === 'string' ? reason.slice(0, 1000) : null,
    },
  };
}

export type PaymentDecision =
  { kind: 'move'; to: OrderStatus; reason: string | null } | { kind: 'ignore'; why: string };

/**
 * A successful payment of exactly the order total marks it PAID; a failed
 * one, or one whose amount or currency differs, PAYMENT_FAILED with the
 * reason. A payment for an order that is already PAID, or that the status
 * machine does not allow to move that way (cancelled, shipped, already
 * failed), changes nothing.
 */
export function decidePayment(
  order: { status: OrderStatus; totalMinor: number; currency: string; ownerId: string },
  payment: PaymentProcessedData,
): PaymentDecision {
  if (order.status === OrderStatus.PAID) return { kind: 'ignore', why: 'the order is already PAID' };
  const paid = formatMinorUnits(payment.amount.minorUnits, payment.amount.currencyCode);
  const due = formatMinorUnits(order.totalMinor, order.currency);
  const matches = payment.amount.minorUnits === order.totalMinor && payment.amount.currencyCode === order.currency;
  let decision: PaymentDecision;
  if (!matches) {
    decision = {
      kind: 'move',
      to: OrderStatus.PAYMENT_FAILED,
      reason: `Payment ${payment.paymentId} of ${paid} ${payment.amount.currencyCode} does not match the order total ${due} ${order.currency}`,
    };
  } else if (payment.status === PaymentStatus.FAILED) {
    decision = { kind: 'move', to: OrderStatus.PAYMENT_FAILED, reason: payment.reason || 'The payment failed' };
  } else {
    decision = { kind: 'move', to: OrderStatus.PAID, reason: null };
  }
  if (!canTransition(order.status, decision.to, PAYMENTS, order.ownerId)) {
    return { kind: 'ignore', why: `the order is ${order.status}; a payment cannot move it to ${decision.to}` };
  }
  return decision;
}
