// One consumer of an in-process bus queue: takes messages up to its
// prefetch, runs them through the shared delivery flow (delivery.ts), and
// moves them as the flow decides: ack, back to the queue after a timer, or
// into `<queue>.dlq`.
import { BrokerUnavailableError, type Subscription } from './broker.js';
import type { DeliveryFlow, MessageMover } from './delivery.js';
import type { BusQueue, InProcessBus, StoredMessage } from './in-process.js';

export class BusConsumer implements Subscription {
  /** Messages handed to this consumer and not yet settled, by the channel generation that took them. */
  private readonly unacked = new Map<StoredMessage, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private generation = 0;
  private cancelled = false;

  constructor(
    private readonly bus: InProcessBus,
    private readonly queue: BusQueue,
    private readonly flow: DeliveryFlow,
    private readonly prefetch: number,
  ) {}

  hasRoom(): boolean {
    return !this.cancelled && this.unacked.size < this.prefetch;
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

  /**
   * Like a closed channel: everything in hand goes back to the front of the
   * queue, marked redelivered and counted as a failed try (as a quorum
   * queue's delivery count does); late settlements are ignored.
   */
  async dropChannel(): Promise<void> {
    this.generation++;
    const back = [...this.unacked.keys()];
    this.unacked.clear();
    for (const message of back.reverse()) {
      const failures = { ...message.failures, permanent: message.failures.permanent + 1 };
      this.bus.enqueue(this.queue, { ...message, redelivered: true, failures }, true);
    }
  }

  private async handle(message: StoredMessage, generation: number): Promise<void> {
    // Let the publisher's caller run first, as a network hop would.
    await Promise.resolve();
    const { failures, death: _death, ...delivery } = message;
    await this.flow.run(
      { delivery: { queue: this.queue.name, ...delivery }, failures },
      this.mover(message, generation),
    );
  }

  /** Settling after the channel was dropped fails, as on RabbitMQ: the message is already back in the queue. */
  private mover(message: StoredMessage, generation: number): MessageMover {
    const ours = () => this.generation === generation && this.unacked.has(message);
    const settle = async (move: () => void) => {
      if (!ours()) throw new BrokerUnavailableError('The channel that took this message was dropped');
      move();
      this.unacked.delete(message);
      this.bus.dispatch(this.queue);
    };
    return {
      ack: () => settle(() => undefined),
      retryLater: (delayMs, record) =>
        settle(() =>
          this.bus.enqueueLater(this.queue, { ...message, redelivered: false, failures: record.failures }, delayMs),
        ),
      deadLetter: (reason, record) =>
        settle(() =>
          this.bus.deadLetter(this.queue, { ...message, failures: record.failures, death: { reason, record } }),
        ),
      giveBack: async () => {
        if (!ours()) return;
        this.unacked.delete(message);
        this.bus.enqueue(this.queue, { ...message, redelivered: true }, true);
      },
    };
  }
}
