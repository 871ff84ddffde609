// A front end's live record, as docs/live.md tells one to build it: the stock
// graphql-ws client, retrying on any close, asking for a fresh token on every
// connect, and resuming with `after` = the cursor of the last change it got
// (the client re-sends the same subscribe payload on every reconnect, so
// keeping its `after` up to date is all a resume takes). The record can then
// be held against the database: no gap, no duplicate, versions in order.
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import type { OrderStatusChangedSubscription } from '../generated/graphql.js';
import { OrderStatusChangedDocument } from '../generated/graphql.js';
import type { TestApp } from './harness.js';
import { socketUrl } from './live.js';

export interface RecordedChange {
  orderId: string;
  version: number;
  status: string;
  previousStatus: string | null;
  cursor: string;
}

export interface Tracker {
  record: RecordedChange[];
  /** Close codes the socket saw, in order. */
  closes: number[];
  errors: unknown[];
  /** Pretends the network dropped: the socket is terminated and the client reconnects by itself. */
  drop(): void;
  /** Points the next reconnect at another instance (a client behind a load balancer). */
  moveTo(httpUrl: string): void;
  dispose(): Promise<void>;
}

/** `httpUrl` may be a function: asked again on every (re)connect, as a load balancer would pick an instance. */
export function trackChanges(
  httpUrl: string | (() => string),
  token: () => Promise<string> | string,
  variables: { orderId?: string; after?: string } = {},
): Tracker {
  let url = typeof httpUrl === 'string' ? () => socketUrl(httpUrl) : () => socketUrl(httpUrl());
  let socket: WebSocket | null = null;
  const tracker: Tracker = {
    record: [],
    closes: [],
    errors: [],
    drop: () => socket?.terminate(),
    moveTo: (next) => {
      url = () => socketUrl(next);
    },
    dispose: async () => {
      unsubscribe();
      await client.dispose();
    },
  };
  const client: Client = createClient({
    url: () => url(),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 100)),
    shouldRetry: () => true,
    connectionParams: async () => ({ authorization: `Bearer ${await token()}` }),
    on: {
      opened: (opened) => {
        socket = opened as WebSocket;
      },
      closed: (event) => {
        tracker.closes.push((event as { code: number }).code);
      },
    },
    onNonLazyError: (error) => tracker.errors.push(error),
  });
  const payload = { query: print(OrderStatusChangedDocument), variables: { ...variables } };
  const unsubscribe = client.subscribe<OrderStatusChangedSubscription>(payload, {
    next: (result) => {
      if (result.errors) tracker.errors.push(...result.errors);
      const change = result.data?.orderStatusChanged;
      if (!change) return;
      tracker.record.push({
        orderId: change.order.id,
        version: change.version,
        status: change.status,
        previousStatus: change.previousStatus ?? null,
        cursor: change.cursor,
      });
      payload.variables.after = change.cursor;
    },
    error: (error) => tracker.errors.push(error),
    complete: () => undefined,
  });
  return tracker;
}

/** Every change of these orders as the database has it: (order, version, status), oldest first per order. */
export async function changesInDatabase(t: TestApp, orderIds: readonly string[]) {
  const rows = await t.app.orm.em
    .fork()
    .execute<{ order_id: string; version: number; to_status: string; from_status: string }[]>(
      `select order_id, version, to_status, from_status from order_changes
        where order_id = any(?::uuid[]) order by order_id, version`,
      [`{${orderIds.join(',')}}`],
    );
  return rows.map((r) => ({ orderId: r.order_id, version: r.version, status: r.to_status }));
}

/** The tracker's record of these orders, in the same shape and order as changesInDatabase. */
export function recorded(tracker: Tracker, orderIds: readonly string[]) {
  const wanted = new Set(orderIds);
  return tracker.record
    .filter((c) => wanted.has(c.orderId))
    .map((c) => ({ orderId: c.orderId, version: c.version, status: c.status }))
    .sort((a, b) => (a.orderId === b.orderId ? a.version - b.version : a.orderId < b.orderId ? -1 : 1));
}

/** Per order, the versions in the order they arrived: each list must be ascending with no hole. */
export function versionsByOrder(tracker: Tracker): Map<string, number[]> {
  const byOrder = new Map<string, number[]>();
  for (const change of tracker.record) {
    const list = byOrder.get(change.orderId) ?? [];
    list.push(change.version);
    byOrder.set(change.orderId, list);
  }
  return byOrder;
}
