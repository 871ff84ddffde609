// The in-process bus: the embedded stand-in for RabbitMQ with the same
// semantics as far as this service can tell. Topic exchanges route to
// queues; a publish with no matching queue is refused (as `mandatory` is);
// delivery is at-least-once with manual ack, bounded prefetch, the same
// try counting, and dead letters kept in `<queue>.dlq` and logged.
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
import { afterFailure, errorSummary } from './retry.js';
import { deadLetterQueueOf, Exchange, topicMatches, type Topology } from './topology.js';

/** A message in a queue: what a consumer is handed, less the queue it sits in. */
type StoredMessage = Omit<Delivery, 'queue'>;

interface BusQueue {
  name: string;
  ready: StoredMessage[];
  consumers: BusConsumer[];
  /** Round-robin position among consumers. */
  next: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class InProcessBus implements Broker {
  readonly kind = 'in-process' as const;
  private readonly exchanges = new Set<string>();
  private readonly bindings: { exchange: string; pattern: string; queue: string }[] = [];
  private readonly queues = new Map<string, BusQueue>();
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
        attempt: 1,
        redelivered: false,
      });
    }
  }

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription> {
    const target = this.queues.get(queue);
    if (!target) throw new Error(`No queue named ${queue} is declared`);
    const consumer = new BusConsumer(this, target, handler, options, this.logger.child({ queue }));
    target.consumers.push(consumer);
    this.dispatch(target);
    return consumer;
  }

  /** Dead letters of a queue, oldest first, for inspection (and the tests). */
  deadLetters(queue: string): { messageId: string | undefined; content: string }[] {
    return (this.queues.get(deadLetterQueueOf(queue))?.ready ?? []).map((m) => ({
      messageId: m.messageId,
      content: m.content.toString('utf8'),
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
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

  /** @internal Moves a message to its queue's dead-letter queue, as RabbitMQ does for a rejected message. */
  deadLetter(queue: BusQueue, message: StoredMessage): void {
    const dlq = this.queues.get(deadLetterQueueOf(queue.name));
    if (!dlq) return;
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

class BusConsumer implements Subscription {
  /** Messages handed to this consumer and not yet settled, by the channel generation that took them. */
  private readonly unacked = new Map<StoredMessage, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private generation = 0;
  private cancelled = false;

  constructor(
    private readonly bus: InProcessBus,
    private readonly queue: BusQueue,
    private readonly handler: MessageHandler,
    private readonly options: ConsumeOptions,
    private readonly logger: Logger,
  ) {}

  hasRoom(): boolean {
    return !this.cancelled && this.unacked.size < this.options.prefetch;
  }

  take(message: StoredMessage): void {
    this.unacked.set(message, this.generation);
    const work = this.handle(message, this.generation).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
    this.bus.remove(this.queue, this);
    await Promise.allSettled([...this.inFlight]);
  }

  /** Like a closed channel: everything in hand goes back to the front of the queue, marked redelivered; late acks are ignored. */
  async dropChannel(): Promise<void> {
    this.generation++;
    const back = [...this.unacked.keys()];
    this.unacked.clear();
    for (const message of back.reverse()) this.bus.enqueue(this.queue, { ...message, redelivered: true }, true);
  }

  private async handle(message: StoredMessage, generation: number): Promise<void> {
    // Let the publisher's caller run first, as a network hop would.
    await Promise.resolve();
    const stillOurs = () => this.generation === generation && this.unacked.has(message);
    try {
      await this.handler({ queue: this.queue.name, ...message });
      if (stillOurs()) this.settle(message);
    } catch (error) {
      const step = afterFailure(message.attempt);
      const log = { messageId: message.messageId, attempt: message.attempt, err: errorSummary(error) };
      if (step.kind === 'dead-letter') {
        if (!stillOurs()) return;
        this.logger.error(
          log,
          `message dead-lettered to ${deadLetterQueueOf(this.queue.name)} after ${message.attempt} tries`,
        );
        this.settle(message);
        this.bus.deadLetter(this.queue, message);
        return;
      }
      this.logger.warn(log, 'message failed; it will be retried');
      await sleep(step.delayMs);
      if (!stillOurs()) return;
      this.settle(message);
      this.bus.enqueue(this.queue, { ...message, attempt: step.nextAttempt, redelivered: false });
    }
  }

  private settle(message: StoredMessage): void {
    this.unacked.delete(message);
    this.bus.dispatch(this.queue);
  }
}
