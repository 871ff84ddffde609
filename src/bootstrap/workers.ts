// The background side of a process: the outbox relay and the message
// consumers, on the core's broker. The consumers themselves live in
// consumers/ and are handed in by the entry point; this module only runs them.
import type { MessageHandler, Subscription } from '../broker/broker.js';
import { classifyFailure } from '../broker/failure.js';
import { errorSummary } from '../broker/retry.js';
import type { Config } from '../config.js';
import { OrderExpiry } from '../orders/index.js';
import { OutboxRelay, type RelayOptions } from '../outbox/relay.js';
import type { Core } from './core.js';

/** One consumer: a queue, how many unacknowledged messages it may hold, and its handler. */
export interface ConsumerDefinition {
  queue: string;
  prefetch: number;
  /** Where it runs at all; default everywhere workers run (the simulators say otherwise). */
  enabled?: (config: Config) => boolean;
  /** Builds the handler on this process's core: its services, broker and logger. */
  handler: (core: Core) => MessageHandler;
}

export interface Workers {
  relay: OutboxRelay;
  /** The running consumers by queue, e.g. to pause one during an incident (or a failure drill). */
  subscriptions: Map<string, Subscription>;
}

/**
 * Starts the relay and every enabled consumer, and registers their stop:
 * consumers finish and ack the messages in hand, the relay its round.
 */
export async function startWorkers(
  core: Core,
  consumers: readonly ConsumerDefinition[],
  options: { relay?: RelayOptions } = {},
): Promise<Workers> {
  const { broker, config, logger } = core;
  const relay = new OutboxRelay(core.orm, broker, logger.child({ component: 'outbox-relay' }), options.relay);
  core.services.committed.onCommitted(() => relay.wake());
  const subscriptions = new Map<string, Subscription>();
  core.onStop('workers', 'relay and consumers', async () => {
    await Promise.all([...subscriptions.values()].map((s) => s.cancel()));
    await relay.stop();
  });
  for (const consumer of consumers) {
    if (consumer.enabled && !consumer.enabled(config)) continue;
    const handler = consumer.handler(core);
    const options = { prefetch: consumer.prefetch, observer: core.metrics };
    subscriptions.set(consumer.queue, await broker.consume(consumer.queue, handler, options));
  }
  relay.start();
  startFeedPruning(core);
  startOrderExpiry(core);
  logger.info({ broker: broker.kind, consumers: [...subscriptions.keys()] }, 'outbox relay and consumers running');
  return { relay, subscriptions };
}

/** Changes older than LIVE_RETENTION leave the feed every few minutes (whichever workers run it: deleting twice is harmless). */
function startFeedPruning(core: Core): void {
  const log = core.logger.child({ component: 'change-feed' });
  const prune = async () => {
    try {
      let deleted = 0;
      for (let batch = await core.services.feed.prune(core.config.live.retentionMs); batch > 0;) {
        deleted += batch;
        batch = await core.services.feed.prune(core.config.live.retentionMs);
      }
      if (deleted > 0) log.info({ deleted }, 'pruned changes older than LIVE_RETENTION');
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not prune the change feed');
    }
  };
  const timer = setInterval(() => void prune(), PRUNE_EVERY_MS);
  timer.unref();
  core.onStop('workers', 'change feed pruning', async () => clearInterval(timer));
}

const PRUNE_EVERY_MS = 5 * 60_000;

/**
 * Orders unpaid past ORDER_PAYMENT_TIMEOUT are cancelled by system:expiry, swept every quarter of the
 * timeout (1 s to 1 min): an order waits at most that much longer. Every workers process sweeps; each
 * order is cancelled once (orders/order-expiry.ts).
 */
function startOrderExpiry(core: Core): void {
  const log = core.logger.child({ component: 'order-expiry' });
  const timeoutMs = core.config.orders.paymentTimeoutMs;
  const expiry = new OrderExpiry(core.orm, core.services.moves, timeoutMs);
  let running: Promise<void> | null = null;
  const sweep = async () => {
    try {
      const cancelled = await expiry.sweep();
      core.metrics.ordersExpiredBy(cancelled);
      if (cancelled > 0) log.info({ cancelled, timeoutMs }, 'cancelled orders left unpaid past ORDER_PAYMENT_TIMEOUT');
    } catch (err) {
      // The database away: the next sweep picks up where this one stopped.
      const kind = classifyFailure(err);
      if (kind === 'transient') log.warn({ err: errorSummary(err) }, 'could not expire unpaid orders; will retry');
      else log.error({ err }, 'could not expire unpaid orders; will retry');
    }
  };
  const timer = setInterval(
    () => {
      running ??= sweep().finally(() => (running = null));
    },
    Math.min(60_000, Math.max(1_000, Math.round(timeoutMs / 4))),
  );
  timer.unref();
  core.onStop('workers', 'order expiry', async () => {
    clearInterval(timer);
    await running;
  });
}
