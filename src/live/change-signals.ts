// Tells every API instance that the change feed moved, so each reads it at
// once instead of at its next poll. Over Redis pub/sub between processes, or
// in this process alone. A signal is only a nudge: the feed in PostgreSQL is
// what subscribers are served from, so a lost signal delays a change by at
// most one poll interval and loses nothing.
//
// The Redis subscriber connection subscribes only once it is ready (never
// queued while connecting: a SUBSCRIBE that overtakes ioredis's own
// CLIENT SETNAME and ready check puts the connection in subscriber mode,
// those fail, and the channel is never registered), subscribes again after
// every reconnect, and proves it hears by sending itself a heartbeat; a
// connection that stops hearing is dropped and made again.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

export interface ChangeSignal {
  orderId: string;
  version: number;
}

/** Called with each signal, and with null after a reconnect: signals may have been missed, catch up. */
export type ChangeSignalHandler = (signal: ChangeSignal | null) => void;

/** What the signals report to /metrics. */
export interface SignalObserver {
  liveSubscriberReconnected(): void;
  liveResubscribed(): void;
}

export interface ChangeSignals {
  /** Resolves once the signal is handed to the transport; rejects when it could not be. */
  publish(signal: ChangeSignal): Promise<void>;
  /** Every signal from every process, this one's included. */
  listen(handler: ChangeSignalHandler): Promise<void>;
  /** False while this process cannot hear other processes' signals (its subscription is down or stalled). */
  hearing(): boolean;
  close(): Promise<void>;
}

/** The Redis channel, under the deployment's key prefix (ioredis prefixes keys, never channels). */
export function changeSignalsChannel(keyPrefix: string): string {
  return `${keyPrefix}order-changes`;
}

/** One process only: used when no REDIS_URL is set. */
export class InProcessChangeSignals implements ChangeSignals {
  private readonly handlers: ChangeSignalHandler[] = [];

  async publish(signal: ChangeSignal): Promise<void> {
    for (const handler of this.handlers) handler({ ...signal });
  }

  async listen(handler: ChangeSignalHandler): Promise<void> {
    this.handlers.push(handler);
  }

  hearing(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.handlers.length = 0;
  }
}

type Message = { kind: 'change'; signal: ChangeSignal } | { kind: 'heartbeat'; from: string; beat: number };

export interface RedisSignalsOptions {
  /** How often the subscriber proves it hears; a heartbeat not heard by the next one means it stalled. */
  heartbeatMs?: number;
  observer?: SignalObserver;
}

export class RedisChangeSignals implements ChangeSignals {
  private readonly handlers: ChangeSignalHandler[] = [];
  private readonly instance = randomUUID();
  private listening = false;
  private subscribed = false;
  private everSubscribed = false;
  private beat = 0;
  /** The last heartbeat sent and whether it came back. */
  private lastSent = 0;
  private lastHeard = 0;
  private stalled = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly publisher: Redis,
    /** A dedicated connection (SUBSCRIBE blocks it for anything else), or undefined in a publish-only process. */
    private readonly subscriber: Redis | undefined,
    private readonly channel: string,
    private readonly logger: Logger,
    private readonly options: RedisSignalsOptions = {},
  ) {}

  async publish(signal: ChangeSignal): Promise<void> {
    await this.send({ kind: 'change', signal });
  }

  async listen(handler: ChangeSignalHandler): Promise<void> {
    const subscriber = this.subscriber;
    if (!subscriber) throw new Error('these signals were built without a subscriber connection');
    this.handlers.push(handler);
    if (this.listening) return;
    this.listening = true;
    subscriber.on('message', (channel: string, raw: string) => {
      if (channel === this.channel) this.receive(raw);
    });
    subscriber.on('ready', () => {
      if (this.everSubscribed) this.options.observer?.liveSubscriberReconnected();
      void this.subscribe();
    });
    subscriber.on('close', () => {
      this.subscribed = false;
    });
    if (subscriber.status === 'ready') await this.subscribe();
    const heartbeatMs = this.options.heartbeatMs ?? 5_000;
    this.timer = setInterval(() => void this.heartbeat(), heartbeatMs);
    this.timer.unref();
  }

  hearing(): boolean {
    return !this.subscriber || (this.subscribed && !this.stalled);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.handlers.length = 0;
  }

  private async subscribe(): Promise<void> {
    const subscriber = this.subscriber;
    if (!subscriber || subscriber.status !== 'ready') return;
    try {
      await subscriber.subscribe(this.channel);
    } catch (err) {
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'could not subscribe to order changes',
      );
      return;
    }
    this.subscribed = true;
    this.stalled = false;
    this.lastHeard = Date.now();
    if (this.everSubscribed) {
      this.options.observer?.liveResubscribed();
      this.logger.info('listening to order changes again');
      for (const handler of this.handlers) handler(null);
    }
    this.everSubscribed = true;
  }

  private async heartbeat(): Promise<void> {
    if (!this.subscribed) return;
    // The previous heartbeat was sent while subscribed and never came back: the subscription stalled.
    if (this.lastSent > this.lastHeard && !this.stalled) {
      this.stalled = true;
      this.logger.warn('the order-change subscription stopped hearing its own heartbeat; reconnecting it');
      this.subscribed = false;
      this.subscriber?.disconnect(true);
      return;
    }
    this.beat++;
    this.lastSent = Date.now();
    await this.send({ kind: 'heartbeat', from: this.instance, beat: this.beat }).catch(() => undefined);
  }

  private receive(raw: string): void {
    let message: Message;
    try {
      message = JSON.parse(raw) as Message;
    } catch (err) {
      this.logger.warn({ err, channel: this.channel }, 'ignoring an unreadable order-change signal');
      return;
    }
    if (message.kind === 'heartbeat') {
      if (message.from === this.instance) {
        this.lastHeard = Date.now();
        this.stalled = false;
      }
      return;
    }
    for (const handler of this.handlers) handler(message.signal);
  }

  private async send(message: Message): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(message));
  }
}
