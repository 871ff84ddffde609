import { describe, expect, it } from 'vitest';
import { MAX_OPERATION_NAMES, Metrics } from './metrics.js';

describe('Metrics', () => {
  it('counts what the delivery flow reports, by queue and kind of failure, and cache lookups by result', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const common = { messageId: 'm', error: 'e' };
    metrics.deliveryFinished('orders.audit', { kind: 'acked', messageId: 'm', attempt: 1 });
    metrics.deliveryFinished('orders.audit', { kind: 'acked', messageId: 'm', attempt: 3 });
    const retry = { ...common, kind: 'retry-scheduled', delayMs: 1000, nextAttempt: 2 } as const;
    metrics.deliveryFinished('orders.payment-processed', { ...retry, failure: 'transient' });
    metrics.deliveryFinished('orders.payment-processed', { ...retry, failure: 'transient' });
    metrics.deliveryFinished('orders.payment-processed', { ...retry, failure: 'permanent' });
    metrics.deliveryFinished('orders.payment-processed', {
      ...common,
      kind: 'dead-lettered',
      failure: 'permanent',
      reason: 'poison',
      attempts: 5,
    });
    metrics.deliveryFinished('orders.audit', { kind: 'returned', messageId: 'm', why: 'Channel closed' });
    metrics.cacheHit();
    metrics.cacheMiss();
    metrics.cacheMiss();
    const text = await metrics.render();
    expect(text).toContain('messages_consumed_total{queue="orders.audit"} 2');
    expect(text).toContain('messages_retried_total{queue="orders.payment-processed",kind="transient"} 2');
    expect(text).toContain('messages_retried_total{queue="orders.payment-processed",kind="permanent"} 1');
    expect(text).toContain('messages_dead_lettered_total{queue="orders.payment-processed",kind="permanent"} 1');
    expect(text).toContain('messages_returned_total{queue="orders.audit"} 1');
    expect(text).toContain('cache_lookups_total{cache="order",result="hit"} 1');
    expect(text).toContain('cache_lookups_total{cache="order",result="miss"} 2');
  });

  it('tracks open websockets and active subscriptions up and down', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.wsConnectionOpened();
    metrics.wsConnectionOpened();
    metrics.subscriptionStarted();
    metrics.wsConnectionClosed();
    const text = await metrics.render();
    expect(text).toContain('graphql_ws_connections_open 1');
    expect(text).toContain('graphql_subscriptions_active 1');
  });

  it('keeps client-chosen operation names from growing the series without bound', async () => {
    const metrics = new Metrics({ processMetrics: false });
    for (let i = 0; i < MAX_OPERATION_NAMES + 50; i++) metrics.operationFinished(`Op${i}`, 'query', 0.01);
    metrics.operationFinished('not a graphql name', 'query', 0.01);
    metrics.operationFinished(null, 'mutation', 0.01);
    const text = await metrics.render();
    const names = new Set([...text.matchAll(/operation_name="([^"]+)"/g)].map((m) => m[1]));
    expect(names.size).toBe(MAX_OPERATION_NAMES + 2);
    expect(text).toContain(
      'graphql_operation_duration_seconds_count{operation_name="other",operation_type="query"} 51',
    );
    expect(text).toContain('operation_name="anonymous",operation_type="mutation"} 1');
  });

  it('reads the outbox backlog at scrape time, and reports NaN (unknown) when it cannot', async () => {
    const metrics = new Metrics({ processMetrics: false });
    let reads = 0;
    let failing = false;
    const errors: unknown[] = [];
    metrics.watchOutbox(
      async () => {
        reads++;
        if (failing) throw new Error('database down');
        return { pending: 3, oldestAgeSeconds: 42.5 };
      },
      (error) => errors.push(error),
    );
    expect(reads).toBe(0);
    const text = await metrics.render();
    expect(reads).toBe(1);
    expect(text).toContain('outbox_pending_messages 3');
    expect(text).toContain('outbox_oldest_pending_age_seconds 42.5');
    failing = true;
    const unknown = await metrics.render();
    // prom-client spells it "Nan"; Prometheus reads NaN in any case.
    expect(unknown).toMatch(/^outbox_pending_messages nan$/im);
    expect(unknown).toMatch(/^outbox_oldest_pending_age_seconds nan$/im);
    expect(errors).toHaveLength(1);
  });
});
