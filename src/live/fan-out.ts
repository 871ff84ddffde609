// This instance's subscribers and the changes they are told about. Changes
// arrive only from the feed tail, in feed order, one path for changes made
// here and elsewhere, so nothing is delivered twice; each goes to the
// subscribers that want it (indexed by order and by customer, so a change
// costs its own subscribers, not all of them).
import type { Viewer } from '../auth/index.js';
import { Role } from '../auth/index.js';
import type { ChangeFeed, FeedKey, FeedScope, OrderChange } from '../orders/index.js';
import { SocketCloseCode } from './close-codes.js';
import { LiveSubscription, type LiveConnection, type LiveLimits } from './subscription.js';

export interface SubscribeOptions {
  orderId?: string;
  /** Resume after this key: replay what came after it first. */
  after?: FeedKey;
  connection: LiveConnection;
}

const REPLAY_BATCH = 200;

export class LiveFanOut {
  private readonly byOrder = new Map<string, Set<LiveSubscription>>();
  private readonly byCustomer = new Map<string, Set<LiveSubscription>>();
  private readonly everything = new Set<LiveSubscription>();
  private count = 0;

  constructor(
    private readonly feed: ChangeFeed,
    /** Where the feed tail is: a subscriber starting now starts there. */
    private readonly tailPosition: () => FeedKey,
    private readonly limits: LiveLimits,
    private readonly onSlow: (subscription: LiveSubscription) => void,
  ) {}

  subscribe(viewer: Viewer, options: SubscribeOptions): LiveSubscription {
    const start = options.after ?? this.tailPosition();
    const subscription = new LiveSubscription(
      viewer,
      options.orderId,
      start,
      options.after !== undefined,
      this.limits,
      options.connection,
      this.ended,
    );
    this.add(subscription);
    if (options.after !== undefined) {
      // What came after the cursor, up to where this instance's tail is now; the tail brings the rest.
      const upTo = this.tailPosition();
      const scope: FeedScope = options.orderId
        ? { orderId: options.orderId }
        : viewer.role === Role.ADMIN
          ? { all: true }
          : { customerId: viewer.userId };
      subscription
        .replay((after) => this.feed.read({ after, upTo, scope, limit: REPLAY_BATCH }))
        .catch(() =>
          subscription.abort(SocketCloseCode.TryAgainLater, 'Could not read the changes to replay: resume later'),
        );
    }
    return subscription;
  }

  /** Changes from the tail, in feed order. */
  deliver(changes: readonly OrderChange[]): void {
    for (const change of changes) {
      for (const bucket of [
        this.byOrder.get(change.orderId),
        this.byCustomer.get(change.customerId),
        this.everything,
      ]) {
        for (const subscription of bucket ?? []) if (subscription.wants(change)) subscription.offer(change);
      }
    }
  }

  get size(): number {
    return this.count;
  }

  /** One function for every subscription, not a closure each. */
  private readonly ended = (subscription: LiveSubscription, why: 'ended' | 'slow'): void => {
    this.remove(subscription);
    if (why === 'slow') this.onSlow(subscription);
  };

  private bucketOf(subscription: LiveSubscription): Set<LiveSubscription> {
    const { orderId, viewer } = subscription;
    if (orderId !== undefined) return getOrAdd(this.byOrder, orderId);
    if (viewer.role === Role.ADMIN) return this.everything;
    return getOrAdd(this.byCustomer, viewer.userId);
  }

  private add(subscription: LiveSubscription): void {
    this.bucketOf(subscription).add(subscription);
    this.count++;
  }

  private remove(subscription: LiveSubscription): void {
    const { orderId, viewer } = subscription;
    const bucket = this.bucketOf(subscription);
    if (!bucket.delete(subscription)) return;
    this.count--;
    if (bucket.size === 0) {
      if (orderId !== undefined) this.byOrder.delete(orderId);
      else if (viewer.role !== Role.ADMIN) this.byCustomer.delete(viewer.userId);
    }
  }
}

function getOrAdd<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
