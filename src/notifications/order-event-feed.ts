// The order events the notifications consumer understands: every `order.*`
// event orders/ writes (order-events.ts), as one discriminated union. Adding
// an event type there makes every exhaustive switch over NotifiableEvent fail
// to compile until it handles the new type.
import { OrderEventType, parseOrderEvent, type OrderEventEnvelope } from '../orders/index.js';

export type NotifiableEvent = {
  [T in OrderEventEnvelope['type']]: { type: T; envelope: Extract<OrderEventEnvelope, { type: T }> };
}[OrderEventEnvelope['type']];

export type NotifiableEventType = NotifiableEvent['type'];

/** Every routing key a webhook endpoint may subscribe to (besides `*`). */
export const NOTIFIABLE_EVENT_TYPES: readonly NotifiableEventType[] = Object.values(OrderEventType);

export function isNotifiableEventType(type: string): type is NotifiableEventType {
  return (NOTIFIABLE_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * Reads an `order.*` message with the audit consumer's own checks (one rule
 * for what a valid order event is). An unknown type is MALFORMED_MESSAGE:
 * retried, then dead-lettered, to be replayed once a version that knows it runs.
 */
export function parseNotifiableEvent(content: Buffer): NotifiableEvent {
  const envelope = parseOrderEvent(content);
  return { type: envelope.type, envelope } as NotifiableEvent;
}
