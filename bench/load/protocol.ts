// Messages between the runner and its forked load processes. The load runs
// in its own process so the service's CPU figures are not the load's.
import type { LatencySummary } from '../lib/stats.js';

export type RequestPlan =
  /** createOrder as one customer per client, two items: one sku from each half of the bench catalogue. */
  | { kind: 'createOrder'; tokens: string[]; skuCount: number }
  /** `order(id)` over GraphQL, cycling through ids; `once`: every id at most once (cold reads). */
  | { kind: 'orderRead'; token: string; ids: string[]; once: boolean }
  /** GET <url>/<id> against a baseline server, cycling through ids. */
  | { kind: 'get'; ids: string[]; once: boolean };

export interface HttpLoadSpec {
  url: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  plan: RequestPlan;
}

export interface HttpLoadResult {
  /** Successful requests per second over the measured window. */
  perSecond: number;
  ok: number;
  errors: number;
  /** The first error body or message seen, to say what went wrong. */
  firstError: string | null;
  latencyMs: LatencySummary;
  windowSeconds: number;
}

export type LoadRequest = { type: 'http'; spec: HttpLoadSpec };
export type LoadReply = { type: 'result'; result: HttpLoadResult } | { type: 'error'; message: string };
