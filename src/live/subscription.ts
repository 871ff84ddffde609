// One live subscriber: a push-to-pull async iterator that graphql-ws pulls
// results from. It resumes: given a cursor it first replays the feed from
// there (paced by how fast the subscriber takes them) while holding back
// the live changes that arrive meanwhile, then hands those on. Every change
// is handed on once, in feed order: nothing at or before the last key it
// handed on passes again. One that falls behind (more than the limits
// waiting for it) is closed with 1013 and resumes from its last cursor.
import type { Viewer } from '../auth/index.js';
import { compareKeys, visibleTo, type FeedKey, type OrderChange } from '../orders/index.js';
import { SocketCloseCode } from './close-codes.js';
import { noItems, takeFirst, withItem } from './lean-arrays.js';

export interface LiveLimits {
  /** Most changes that may wait for one subscriber (LIVE_MAX_BUFFERED_CHANGES). */
  maxBufferedChanges: number;
  /** Most bytes that may wait for one subscriber, its socket's unsent bytes included (LIVE_MAX_BUFFERED_BYTES). */
  maxBufferedBytes: number;
}

/** What a subscription needs of the connection it runs on. */
export interface LiveConnection {
  /** Bytes written to the socket and not yet sent. */
  bufferedBytes(): number;
  /** Ends the whole connection (the subscriber resumes from its last cursor). */
  close(code: number, reason: string): void;
}

/** Replay hands changes over only while fewer than this are waiting: a replay never overflows. */
const REPLAY_LOW_WATER = 64;

const sizes = new WeakMap<OrderChange, number>();
/** The size of a change as it travels, estimated once per change (every subscriber shares the object). */
function sizeOf(change: OrderChange): number {
  let size = sizes.get(change);
  if (size === undefined) {
    // The change, and room for the order it is sent with.
    size = JSON.stringify(change).length + 512;
    sizes.set(change, size);
  }
  return size;
}

export class LiveSubscription implements AsyncIterableIterator<OrderChange> {
  // Each starts as the one shared empty list, and is added to only through withItem (lean-arrays.ts).
  private ready = noItems<OrderChange>();
  /** Live changes that arrived while the replay ran. */
  private held = noItems<OrderChange>();
  private pulls = noItems<(result: IteratorResult<OrderChange>) => void>();
  private roomWaiter: (() => void) | null = null;
  private waitingBytes = 0;
  private replaying: boolean;
  private done = false;

  constructor(
    readonly viewer: Viewer,
    readonly orderId: string | undefined,
    /** The last key handed on, or where the subscriber starts: nothing at or before it passes. */
    private lastKey: FeedKey,
    resuming: boolean,
    private readonly limits: LiveLimits,
    private readonly connection: LiveConnection,
    private readonly onEnd: (subscription: LiveSubscription, why: 'ended' | 'slow') => void,
  ) {
    this.replaying = resuming;
  }

  /** Whether this subscriber is told about `change` at all. */
  wants(change: OrderChange): boolean {
    if (this.orderId !== undefined && change.orderId !== this.orderId) return false;
    return visibleTo(this.viewer, change);
  }

  /** A live change, in feed order. */
  offer(change: OrderChange): void {
    if (this.done) return;
    if (this.replaying) {
      this.held = withItem(this.held, change);
      this.waitingBytes += sizeOf(change);
      this.checkLimits();
    } else {
      this.handOn(change);
    }
  }

  /** Replays what `read` returns after the last key until it returns nothing, then goes live. */
  async replay(read: (after: FeedKey) => Promise<OrderChange[]>): Promise<void> {
    while (!this.done) {
      const batch = await read(this.lastKey);
      if (batch.length === 0) break;
      for (const change of batch) {
        while (!this.done && this.ready.length >= REPLAY_LOW_WATER) {
          await new Promise<void>((resolve) => (this.roomWaiter = resolve));
        }
        this.handOn(change);
      }
    }
    this.replaying = false;
    const held = this.held;
    this.held = noItems();
    for (const change of held) {
      this.waitingBytes -= sizeOf(change);
      this.handOn(change);
    }
  }

  /** Ends the subscription where the subscriber must resume (the replay failed, the service is stopping). */
  abort(code: number, reason: string): void {
    if (this.done) return;
    this.finish('ended');
    this.connection.close(code, reason);
  }

  next(): Promise<IteratorResult<OrderChange>> {
    const change = takeFirst(this.ready);
    if (change) {
      this.waitingBytes -= sizeOf(change);
      if (this.ready.length < REPLAY_LOW_WATER && this.roomWaiter) {
        const wake = this.roomWaiter;
        this.roomWaiter = null;
        wake();
      }
      return Promise.resolve({ value: change, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.pulls = withItem(this.pulls, resolve)));
  }

  return(): Promise<IteratorResult<OrderChange>> {
    this.finish('ended');
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  get waiting(): number {
    return this.ready.length + this.held.length;
  }

  private handOn(change: OrderChange): void {
    if (this.done || compareKeys(change.key, this.lastKey) <= 0) return;
    this.lastKey = change.key;
    const pull = takeFirst(this.pulls);
    if (pull) return pull({ value: change, done: false });
    this.ready = withItem(this.ready, change);
    this.waitingBytes += sizeOf(change);
    if (!this.replaying) this.checkLimits();
  }

  private checkLimits(): void {
    const changes = this.ready.length + this.held.length;
    const bytes = this.waitingBytes + this.connection.bufferedBytes();
    if (changes <= this.limits.maxBufferedChanges && bytes <= this.limits.maxBufferedBytes) return;
    this.finish('slow');
  }

  private finish(why: 'ended' | 'slow'): void {
    if (this.done) return;
    this.done = true;
    if (why === 'slow') {
      this.connection.close(SocketCloseCode.TryAgainLater, 'Too many changes waiting: resume from your last cursor');
    }
    this.ready = noItems();
    this.held = noItems();
    this.waitingBytes = 0;
    const pulls = this.pulls;
    this.pulls = noItems();
    for (const pull of pulls) pull({ value: undefined, done: true });
    this.roomWaiter?.();
    this.onEnd(this, why);
  }
}
