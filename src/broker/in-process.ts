// The in-process bus: the embedded stand-in for RabbitMQ with the same
// semantics as far as this service can tell. Topic exchanges route to
// queues; a publish with no matching queue is refused (as `mandatory` is);
// delivery is at-least-once with manual ack and bounded prefetch; retries
// and dead-lettering are the shared delivery flow's (delivery.ts), with
// timers for the waits and dead letters kept in `<queue>.dlq`.
// Nothing survives a restart: the outbox is what makes events durable.
import type { Logger } from '../logger.js';
import {
  BrokerUnavailableError,
  encodeBody,
  UnroutableMessageError,
  type Broker,
  type ConsumeOptions,
  type Delivery,
  type MessageHandler,
  type OutgoingMessage,
  type Subscription,
} from './broker.js';
import { DeliveryFlow, type FailureRecord } from './delivery.js';
import { BusConsumer } from './in-process-consumer.js';
import { NO_FAILURES, type DeadLetterReason, type Failures } from './retry.js';
import { deadLetterQueueOf, Exchange, topicMatches, type Topology } from './topology.js';

/** A message in a queue: what a consumer is handed, less the queue it sits in and the try (counted in `failures`). */
export interface StoredMessage extends Omit<Delivery, 'queue' | 'attempt'> {
  failures: Failures;
  /** Set on a dead letter: why and how it died. */
  death?: { reason: DeadLetterReason; record: FailureRecord };
}

export interface DeadLetter {
  messageId: string | undefined;
  content: string;
  reason: DeadLetterReason | undefined;
  lastError: string | undefined;
  failures: Failures;
}

export interface BusQueue {
  name: string;
  ready: StoredMessage[];
  consumers: BusConsumer[];
  /** Round-robin position among consumers. */
  next: number;
}

export class InProcessBus implements Broker {
  readonly kind = 'in-process' as const;
  private readonly exchanges = new Set<string>();
  private readonly bindings: { exchange: string; pattern: string; queue: string }[] = [];
  private readonly queues = new Map<string, BusQueue>();
  /** Messages waiting out a retry delay. */
  private readonly waiting = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly logger: Logger) {}

  async start(topology: Topology): Promise<void> {
    for (const exchange of topology.exchanges) this.exchanges.add(exchange);
    for (const spec of topology.queues) {
      this.declareQueue(spec.name);
      this.declareQueue(deadLetterQueueOf(spec.name));
      this.bind(Exchange.DEAD_LETTERS, spec.name, deadLetterQueueOf(spec.name));
      for (const binding of spec.bindings) this.bind(binding.exchange, binding.routingKey, spec.name);
    }
  }

  isConnected(): boolean {
    return !this.closed;
  }

  async publish(message: OutgoingMessage): Promise<void> {
    if (this.closed) throw new BrokerUnavailableError('The in-process bus is closed');
    const targets = this.route(message.exchange, message.routingKey);
    if (targets.length === 0) throw new UnroutableMessageError(message.exchange, message.routingKey);
    const content = encodeBody(message.body);
    for (const queue of targets) {
      this.enqueue(queue, {
        exchange: message.exchange,
        routingKey: message.routingKey,
        messageId: message.messageId,
        correlationId: message.correlationId ?? undefined,
        content,
        redelivered: false,
        failures: NO_FAILURES,
      });
    }
  }

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription> {
    const target = this.queues.get(queue);
    if (!target) throw new Error(`No queue named ${queue} is declared`);
    const logger = this.logger.child({ queue });
    const flow = new DeliveryFlow(queue, handler, { retry: options.retry, observer: options.observer, logger });
    const consumer = new BusConsumer(this, target, flow, options.prefetch);
    target.consumers.push(consumer);
    this.dispatch(target);
    return consumer;
  }

  /** Dead letters of a queue, oldest first, for inspection (and the tests). */
  deadLetters(queue: string): DeadLetter[] {
    return (this.queues.get(deadLetterQueueOf(queue))?.ready ?? []).map((m) => ({
      messageId: m.messageId,
      content: m.content.toString('utf8'),
      reason: m.death?.reason,
      lastError: m.death?.record.error,
      failures: m.failures,
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.waiting) clearTimeout(timer);
    this.waiting.clear();
    for (const queue of this.queues.values()) {
      await Promise.all([...queue.consumers].map((c) => c.cancel()));
    }
  }

  /** @internal */
  enqueue(queue: BusQueue, message: StoredMessage, atFront = false): void {
    if (atFront) queue.ready.unshift(message);
    else queue.ready.push(message);
    this.dispatch(queue);
  }

  /** @internal Puts a message back at the end of its queue after `delayMs`, as a RabbitMQ retry queue does. */
  enqueueLater(queue: BusQueue, message: StoredMessage, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      this.enqueue(queue, message);
    }, delayMs);
    this.waiting.add(timer);
  }

  /** @internal Moves a message to its queue's dead-letter queue. */
  deadLetter(queue: BusQueue, message: StoredMessage): void {
    const dlq = this.queues.get(deadLetterQueueOf(queue.name));
    if (!dlq) throw new Error(`No dead-letter queue for ${queue.name}`);
    this.enqueue(dlq, { ...message, exchange: Exchange.DEAD_LETTERS, routingKey: queue.name });
  }

  /** @internal Hands ready messages to consumers with room under their prefetch. */
  dispatch(queue: BusQueue): void {
    if (this.closed) return;
    while (queue.ready.length > 0) {
      const consumer = this.pickConsumer(queue);
      if (!consumer) return;
      const message = queue.ready.shift() as StoredMessage;
      consumer.take(message);
    }
  }

  /** @internal */
  remove(queue: BusQueue, consumer: BusConsumer): void {
    queue.consumers = queue.consumers.filter((c) => c !== consumer);
  }

  private pickConsumer(queue: BusQueue): BusConsumer | undefined {
    const count = queue.consumers.length;
    for (let i = 0; i < count; i++) {
      const consumer = queue.consumers[(queue.next + i) % count];
      if (consumer?.hasRoom()) {
        queue.next = (queue.next + i + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  private declareQueue(name: string): void {
    if (!this.queues.has(name)) this.queues.set(name, { name, ready: [], consumers: [], next: 0 });
  }

  private bind(exchange: string, pattern: string, queue: string): void {
    if (this.bindings.some((b) => b.exchange === exchange && b.pattern === pattern && b.queue === queue)) return;
    this.bindings.push({ exchange, pattern, queue });
  }

  private route(exchange: string, routingKey: string): BusQueue[] {
    if (!this.exchanges.has(exchange)) throw new Error(`No exchange named ${exchange} is declared`);
    const names = new Set(
      this.bindings.filter((b) => b.exchange === exchange && topicMatches(b.pattern, routingKey)).map((b) => b.queue),
    );
    return [...names].map((name) => this.queues.get(name) as BusQueue);
  }
}
