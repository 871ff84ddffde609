// Every Prometheus metric the service exports, named once here. Other modules
// report through the typed methods and never touch prom-client themselves.
// Each app has its own registry, so two apps in one process (tests) don't clash.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeliveryObserver, DeliveryOutcome } from '../broker/broker.js';
import { UnreachableCaseError } from '../errors.js';

/** Operation names are chosen by clients: past this many distinct ones, the rest count as `other`. */
export const MAX_OPERATION_NAMES = 200;
const OTHER = 'other';
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

export interface OutboxBacklog {
  pending: number;
  /** Seconds since the oldest unsent row was written; null when nothing is pending. */
  oldestAgeSeconds: number | null;
}

export class Metrics implements DeliveryObserver {
  readonly registry = new Registry();
  private readonly refreshers: (() => Promise<void>)[] = [];
  private readonly operationNames = new Set<string>();

  private readonly operationDuration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Time to answer a GraphQL operation, by operation name and type',
    labelNames: ['operation_name', 'operation_type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'graphql_errors_total',
    help: 'GraphQL errors returned to clients, by extensions.code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly wsConnections = new Gauge({
    name: 'graphql_ws_connections_open',
    help: 'Open graphql-ws websocket connections',
    registers: [this.registry],
  });
  private readonly subscriptions = new Gauge({
    name: 'graphql_subscriptions_active',
    help: 'Active GraphQL subscriptions',
    registers: [this.registry],
  });
  private readonly cacheLookups = new Counter({
    name: 'cache_lookups_total',
    help: 'Cache lookups, by cache and result (hit or miss)',
    labelNames: ['cache', 'result'] as const,
    registers: [this.registry],
  });
  private readonly consumed = new Counter({
    name: 'messages_consumed_total',
    help: 'Messages a consumer processed and acknowledged, by queue',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  private readonly retried = new Counter({
    name: 'messages_retried_total',
    help: 'Messages that failed and were scheduled for another try, by queue and kind of failure (transient or permanent)',
    labelNames: ['queue', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly deadLettered = new Counter({
    name: 'messages_dead_lettered_total',
    help: 'Messages given up on and sent to the dead-letter queue, by queue and kind of their last failure',
    labelNames: ['queue', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly returned = new Counter({
    name: 'messages_returned_total',
    help: 'Deliveries that could not be settled (channel lost) and went back to their queue, by queue',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  private readonly notificationsSent = new Counter({
    name: 'notifications_sent_total',
    help: 'Notifications delivered, by channel (email, webhook, in_app)',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  private readonly notificationsRetried = new Counter({
    name: 'notifications_retried_total',
    help: 'Notification delivery attempts that failed and will be tried again, by channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  private readonly notificationsFailed = new Counter({
    name: 'notifications_failed_total',
    help: 'Notifications given up after their last try (kept as failed, replayable), by channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  private readonly outboxPending = new Gauge({
    name: 'outbox_pending_messages',
    help: 'Outbox rows not yet published (NaN when the database could not be read)',
    registers: [this.registry],
  });
  private readonly outboxOldestAge = new Gauge({
    name: 'outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest unpublished outbox row; 0 when none is pending (NaN when unknown)',
    registers: [this.registry],
  });
  private readonly ordersExpired = new Counter({
    name: 'orders_expired_total',
    help: 'Orders cancelled by system:expiry for being unpaid past ORDER_PAYMENT_TIMEOUT (by this process)',
    registers: [this.registry],
  });
  private readonly liveSlowClosed = new Counter({
    name: 'live_subscribers_closed_slow_total',
    help: 'Live subscribers closed with 1013 because too many changes waited for them (they resume)',
    registers: [this.registry],
  });
  private readonly liveSignalReconnects = new Counter({
    name: 'live_signal_reconnects_total',
    help: 'Times the Redis connection that hears order-change signals came back (after a drop or a stall)',
    registers: [this.registry],
  });
  private readonly liveSignalResubscribes = new Counter({
    name: 'live_signal_resubscribes_total',
    help: 'Times the order-change channel was subscribed again after a reconnect',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    // Series exist from the start at 0, so a rate() or a before/after difference has a first point.
    for (const result of ['hit', 'miss']) this.cacheLookups.inc({ cache: 'order', result }, 0);
    for (const channel of ['email', 'webhook', 'in_app']) {
      this.notificationsSent.inc({ channel }, 0);
      this.notificationsRetried.inc({ channel }, 0);
      this.notificationsFailed.inc({ channel }, 0);
    }
  }

  operationFinished(operationName: string | null | undefined, operationType: string, seconds: number): void {
    this.operationDuration.observe(
      { operation_name: this.boundedName(operationName), operation_type: operationType },
      seconds,
    );
  }

  errorReturned(code: string | undefined): void {
    this.errors.inc({ code: code ?? 'UNKNOWN' });
  }

  wsConnectionOpened(): void {
    this.wsConnections.inc();
  }
  wsConnectionClosed(): void {
    this.wsConnections.dec();
  }
  subscriptionStarted(): void {
    this.subscriptions.inc();
  }
  subscriptionEnded(): void {
    this.subscriptions.dec();
  }

  cacheHit(cache = 'order'): void {
    this.cacheLookups.inc({ cache, result: 'hit' });
  }
  cacheMiss(cache = 'order'): void {
    this.cacheLookups.inc({ cache, result: 'miss' });
  }

  /** Counts what the delivery flow reports it did with a message: never a prediction of it. */
  deliveryFinished(queue: string, outcome: DeliveryOutcome): void {
    switch (outcome.kind) {
      case 'acked':
        this.consumed.inc({ queue });
        return;
      case 'retry-scheduled':
        this.retried.inc({ queue, kind: outcome.failure });
        return;
      case 'dead-lettered':
        this.deadLettered.inc({ queue, kind: outcome.failure });
        return;
      case 'returned':
        this.returned.inc({ queue });
        return;
      default:
        throw new UnreachableCaseError(outcome);
    }
  }

  ordersExpiredBy(count: number): void {
    this.ordersExpired.inc(count);
  }

  slowSubscriberClosed(): void {
    this.liveSlowClosed.inc();
  }
  liveSubscriberReconnected(): void {
    this.liveSignalReconnects.inc();
  }
  liveResubscribed(): void {
    this.liveSignalResubscribes.inc();
  }
  notificationSent(channel: string): void {
    this.notificationsSent.inc({ channel });
  }
  notificationRetried(channel: string): void {
    this.notificationsRetried.inc({ channel });
  }
  notificationFailed(channel: string): void {
    this.notificationsFailed.inc({ channel });
  }

  /** Reads the outbox backlog at every scrape (one query), rather than on a timer nobody looks at. */
  watchOutbox(readBacklog: () => Promise<OutboxBacklog>, onError: (error: unknown) => void): void {
    this.refreshers.push(async () => {
      try {
        const backlog = await readBacklog();
        this.outboxPending.set(backlog.pending);
        this.outboxOldestAge.set(backlog.oldestAgeSeconds ?? 0);
      } catch (error) {
        // An old number would claim the outbox is fine; NaN says "unknown".
        this.outboxPending.set(Number.NaN);
        this.outboxOldestAge.set(Number.NaN);
        onError(error);
      }
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text for GET /metrics. */
  async render(): Promise<string> {
    await Promise.all(this.refreshers.map((refresh) => refresh()));
    return this.registry.metrics();
  }

  private boundedName(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (!GRAPHQL_NAME.test(name)) return OTHER;
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return OTHER;
    this.operationNames.add(name);
    return name;
  }
}
