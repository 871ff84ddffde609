// Carries committed order changes between processes: whoever commits a
// change (an API instance, a consumer) publishes it; every API instance
// receives every change, its own included, and hands it to its subscribers
// and its cache. That one receive path is why nothing is delivered twice.
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { OrderChange } from './order-updates.js';

export type OrderChangeHandler = (change: OrderChange) => void;

export interface OrderChangeBus {
  /** Resolves once the change is handed to the transport; rejects when it could not be. */
  publish(change: OrderChange): Promise<void>;
  /** Every change from every process, in the order each publisher published them. */
  subscribe(handler: OrderChangeHandler): Promise<void>;
  close(): Promise<void>;
}

/** The Redis channel, under the deployment's key prefix (ioredis prefixes keys, never channels). */
export function orderChangesChannel(keyPrefix: string): string {
  return `${keyPrefix}order-status-changed`;
}

/** One process only: used when no REDIS_URL is set. */
export class InProcessOrderChangeBus implements OrderChangeBus {
  private readonly handlers: OrderChangeHandler[] = [];

  async publish(change: OrderChange): Promise<void> {
    // A copy, as over the wire: a handler never shares an object with the publisher.
    const copy = JSON.parse(JSON.stringify(change)) as OrderChange;
    for (const handler of this.handlers) handler(copy);
  }

  async subscribe(handler: OrderChangeHandler): Promise<void> {
    this.handlers.push(handler);
  }

  async close(): Promise<void> {
    this.handlers.length = 0;
  }
}

/** Redis pub/sub: at-most-once, so a change published while Redis is down is not replayed. */
export class RedisOrderChangeBus implements OrderChangeBus {
  private readonly handlers: OrderChangeHandler[] = [];
  private listening = false;

  constructor(
    private readonly publisher: Redis,
    /** A dedicated connection (SUBSCRIBE blocks it for anything else), or undefined in a publish-only process. */
    private readonly subscriber: Redis | undefined,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  async publish(change: OrderChange): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(change));
  }

  async subscribe(handler: OrderChangeHandler): Promise<void> {
    if (!this.subscriber) throw new Error('this bus was built without a subscriber connection');
    this.handlers.push(handler);
    if (this.listening) return;
    this.listening = true;
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      let change: OrderChange;
      try {
        change = JSON.parse(raw) as OrderChange;
      } catch (err) {
        this.logger.warn({ err, channel }, 'ignoring an unreadable order change');
        return;
      }
      for (const h of this.handlers) h(change);
    });
    // ioredis queues the SUBSCRIBE until connected and repeats it after every
    // reconnect; wait for it a little so a healthy start is subscribed at once,
    // but never hold the start up while Redis is down.
    const subscribed = this.subscriber.subscribe(this.channel).catch((err: unknown) => {
      this.logger.warn({ err }, 'could not subscribe to order changes yet; retrying on reconnect');
    });
    await Promise.race([subscribed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }

  async close(): Promise<void> {
    this.handlers.length = 0;
  }
}
