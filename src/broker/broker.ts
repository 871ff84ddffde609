// The one small interface the rest of the code sees for messaging. Two
// implementations stand behind it: RabbitMQ (rabbitmq.ts) and an in-process
// bus with the same semantics for the embedded defaults (in-process.ts).
import type { FailureKind } from './failure.js';
import type { DeadLetterReason, RetryPolicy } from './retry.js';
import type { Topology } from './topology.js';

export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  /** The message id on the wire; consumers dedupe on it. */
  messageId: string;
  /** The envelope's `type`, also set as the AMQP `type` property. */
  type: string;
  /** JSON-encoded on the wire; a Buffer is sent as it is. */
  body: unknown;
  /** The request that caused the message, carried as the `x-correlation-id` header and `correlationId`. */
  correlationId: string | null;
}

export interface Delivery {
  queue: string;
  exchange: string;
  routingKey: string;
  messageId: string | undefined;
  correlationId: string | undefined;
  /** The raw body; handlers parse and validate it themselves. */
  content: Buffer;
  /** Which try this is, 1 for the first, counting failures of both kinds (see retry.ts). */
  attempt: number;
  /** True when the broker delivered this message before (for example after a lost channel). */
  redelivered: boolean;
}

/**
 * Resolves: the message is acknowledged. Throws: the error's kind (failure.ts)
 * decides how long it waits for another try and when it is dead-lettered to
 * `<queue>.dlq` (retry.ts). The handler runs under the message's correlation id.
 */
export type MessageHandler = (delivery: Delivery) => Promise<void>;

/** What became of one delivery, as the delivery flow (delivery.ts) reports it. */
export type DeliveryOutcome =
  | { kind: 'acked'; messageId: string | undefined; attempt: number }
  | {
      kind: 'retry-scheduled';
      messageId: string | undefined;
      failure: FailureKind;
      delayMs: number;
      nextAttempt: number;
      error: string;
    }
  | {
      kind: 'dead-lettered';
      messageId: string | undefined;
      failure: FailureKind;
      reason: DeadLetterReason;
      attempts: number;
      error: string;
    }
  /** It could not be settled (the channel went away, a copy was not confirmed): the broker gives it back by itself. */
  | { kind: 'returned'; messageId: string | undefined; why: string };

/** Told what became of every delivery of a consumer (metrics). */
export interface DeliveryObserver {
  deliveryFinished(queue: string, outcome: DeliveryOutcome): void;
}

export interface ConsumeOptions {
  /** Most unacknowledged messages this consumer holds at once. */
  prefetch: number;
  /** How failed messages are retried; DEFAULT_RETRY_POLICY unless a test wants it quicker. */
  retry?: RetryPolicy;
  observer?: DeliveryObserver;
}

export interface Subscription {
  /** Stops taking new messages and waits for the ones in hand to finish. */
  cancel(): Promise<void>;
  /**
   * Closes the channel under this consumer as a network fault would: messages
   * in hand are not acknowledged and come back; the consumer opens a new
   * channel by itself. For failure drills.
   */
  dropChannel(): Promise<void>;
}

export interface Broker {
  readonly kind: 'rabbitmq' | 'in-process';
  /** Connects (RabbitMQ keeps retrying in the background) and declares the topology idempotently. */
  start(topology: Topology): Promise<void>;
  /**
   * Resolves only once the broker has taken the message (publisher confirm)
   * and routed it to at least one queue; rejects with BrokerUnavailableError
   * or UnroutableMessageError otherwise.
   */
  publish(message: OutgoingMessage): Promise<void>;
  consume(queue: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription>;
  /** Whether publishing can work right now (for /readyz and the relay's backoff). */
  isConnected(): boolean;
  close(): Promise<void>;
}

export class BrokerUnavailableError extends Error {
  readonly code = 'BROKER_UNAVAILABLE';
  /** A handler that could not publish is retried as long as an outage may last (failure.ts). */
  readonly transient = true;
  constructor(message = 'The message broker is not reachable') {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

/** Published with `mandatory` and returned: no queue is bound for it, so it must not count as sent. */
export class UnroutableMessageError extends Error {
  readonly code = 'UNROUTABLE';
  constructor(exchange: string, routingKey: string) {
    super(`No queue is bound for ${routingKey} on exchange ${exchange}`);
    this.name = 'UnroutableMessageError';
  }
}

/** JSON, except that a Buffer goes out as it is (a relay of raw bytes, a DLQ replay). */
export function encodeBody(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body), 'utf8');
}
