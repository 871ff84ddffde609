// Wires a process's live side onto its committed order changes: every
// process that changes orders invalidates the cache and signals the change;
// an API instance also follows the change feed and serves its subscribers.
import type { OrderCache } from '../cache/order-cache.js';
import type { Logger } from '../logger.js';
import type { Readiness } from '../observability/readiness.js';
import type { ChangeFeed, CommittedEvents } from '../orders/index.js';
import type { SharedState } from '../shared-state.js';
import { LiveFanOut } from './fan-out.js';
import { FeedTail } from './feed-tail.js';
import { liveChangesPublisher } from './publisher.js';
import type { LiveLimits } from './subscription.js';

export interface LiveDeps {
  committed: CommittedEvents;
  shared: SharedState;
  orderCache: OrderCache;
  logger: Logger;
}

/** What the live side reports to /metrics. */
export interface LiveObserver {
  slowSubscriberClosed(): void;
}

/** For a process that changes orders but serves no subscribers (the consumers on their own). */
export function publishLiveChanges(deps: LiveDeps): void {
  deps.committed.onCommitted(
    liveChangesPublisher({ signals: deps.shared.signals, cache: deps.orderCache, logger: deps.logger }),
  );
  deps.shared.onReconnect(() => void deps.orderCache.retryPendingInvalidations());
}

export interface LiveService {
  fanOut: LiveFanOut;
  tail: FeedTail;
  stop(): Promise<void>;
}

/** For an API instance: signals its own changes, follows the feed, and serves its subscribers. */
export async function serveLiveChanges(
  deps: LiveDeps & {
    feed: ChangeFeed;
    readiness: Readiness;
    limits: LiveLimits;
    pollIntervalMs: number;
    observer?: LiveObserver;
  },
): Promise<LiveService> {
  const log = deps.logger.child({ component: 'live-updates' });
  publishLiveChanges(deps);
  const tail: FeedTail = new FeedTail(
    deps.feed,
    async (changes) => {
      // The cache first: a subscriber reads the order with its change and must not read it stale.
      await Promise.all([...new Set(changes.map((c) => c.orderId))].map((id) => deps.orderCache.invalidate(id)));
      fanOut.deliver(changes);
    },
    log,
    { pollIntervalMs: deps.pollIntervalMs },
  );
  const fanOut: LiveFanOut = new LiveFanOut(
    deps.feed,
    () => tail.position,
    deps.limits,
    (slow) => {
      deps.observer?.slowSubscriberClosed();
      log.warn(
        { userId: slow.viewer.userId, orderId: slow.orderId, waiting: slow.waiting },
        'closed a subscriber that fell too far behind (1013); it resumes from its last cursor',
      );
    },
  );
  await tail.start();
  deps.committed.onCommitted(() => tail.wake());
  await deps.shared.signals.listen(() => tail.wake());
  deps.readiness.register({
    name: 'live-updates',
    critical: false,
    check: async () => {
      if (!deps.shared.signals.hearing()) throw new Error('not hearing change signals: changes come at each poll');
      if (Date.now() - tail.lastReadAt > Math.max(5_000, deps.pollIntervalMs * 4)) {
        throw new Error('the change feed has not been read lately');
      }
    },
  });
  return { fanOut, tail, stop: () => tail.stop() };
}
