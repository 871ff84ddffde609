// One scenario of the fault suite: load before the fault, the fault and its
// healing, load after it, then the bounded wait for quiet and the checker's
// verdict on everything the scenario's keys caused.
import { check, type ScenarioEvidence, type SubscriberRecord, type Verdict } from './checker.js';
import type { Cluster } from './cluster.js';
import type { Evidence } from './evidence.js';
import type { OrderLoad } from './load.js';
import type { Scenario } from './nemesis.js';
import type { FaultSettings } from './settings.js';

export interface Subscriber {
  name: string;
  customerId: string | null;
  record: readonly { orderId: string; version: number; status: string }[];
  /** Errors the subscription was sent (GraphQL errors in a result, or the error that ended it). */
  errors: readonly unknown[];
}

export interface SuiteContext {
  cluster: Cluster;
  evidence: Evidence;
  load: OrderLoad;
  settings: FaultSettings;
  subscribers: readonly Subscriber[];
  /** Stock of each sku of the suite when it was made. */
  initialStock: ReadonlyMap<string, number>;
}

export interface ScenarioResult extends Verdict {
  notes: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const EXPECTED_HISTORY = [
  { type: 'order.created', fromStatus: null, toStatus: 'PENDING' },
  { type: 'order.status_changed', fromStatus: 'PENDING', toStatus: 'PAID' },
];

export async function runScenario(
  ctx: SuiteContext,
  scenario: Scenario,
  label = scenario.name,
): Promise<ScenarioResult> {
  const { cluster, evidence, load, settings } = ctx;
  const notes: string[] = [];
  // Whatever an earlier scenario left down is started again first.
  for (const node of cluster.processes) if (!node.running) await node.start();

  const errorsBefore = ctx.subscribers.map((s) => s.errors.length);
  let healed!: () => void;
  const healing = new Promise<void>((resolve) => (healed = resolve));
  const loading = load.run(
    label,
    settings.ratePerSecond,
    healing.then(() => sleep(settings.afterMs)),
  );
  await sleep(settings.beforeMs);
  // A subscriber that has had no change yet has no cursor to resume from (docs/live.md: it must reload
  // instead): the faults start once every subscriber has one.
  for (const started = Date.now(); Date.now() - started < settings.settleMs; await sleep(100)) {
    if (ctx.subscribers.every((s) => s.record.length > 0)) break;
  }
  const measurements: Promise<void>[] = [];
  await scenario.nemesis({
    cluster,
    settings,
    note: (line) => notes.push(line),
    afterKill: (what) => measurements.push(measureStrandedWork(evidence, what, settings.settleMs, notes)),
  });
  const healAt = Date.now();
  healed();
  const recovery = measureRecovery(evidence, label, healAt, settings.settleMs);
  await loading;
  await load.settle(settings.settleMs);
  await waitForQuiet(ctx, label, settings.settleMs);
  const recoverySeconds = await recovery;
  await Promise.all(measurements);

  const keys = load.of(label);
  const failures = new Map<string, number>();
  for (const key of keys) for (const [why, n] of key.failures) failures.set(why, (failures.get(why) ?? 0) + n);
  if (failures.size > 0) {
    notes.push(`failed createOrder attempts, retried: ${[...failures].map(([why, n]) => `${why} ${n}`).join(', ')}`);
  }
  ctx.subscribers.forEach((s, i) => {
    const errors = s.errors.slice(errorsBefore[i]);
    if (errors.length > 0) {
      const first = errors[0] as { message?: string; extensions?: { code?: string } };
      notes.push(
        `${s.name} was sent ${errors.length} errors in place of changes, the first: ${first.extensions?.code ?? ''} ${first.message ?? JSON.stringify(first)}`,
      );
    }
  });
  const orders = await evidence.orders(label);
  const orderIds = orders.map((o) => o.id);
  const subscribers: SubscriberRecord[] = ctx.subscribers.map((s) => ({
    name: s.name,
    customerId: s.customerId,
    received: [...s.record],
  }));
  const input: ScenarioEvidence = {
    scenario: label,
    keys,
    orders,
    history: await evidence.history(orderIds),
    changes: await evidence.changes(orderIds),
    stock: await evidence.stock(ctx.initialStock),
    outboxUnsent: await evidence.outboxUnsent(),
    deadLetters: await evidence.deadLetters(),
    subscribers,
    expectedStatus: 'PAID',
    expectedHistory: EXPECTED_HISTORY,
    recoverySeconds,
  };
  return { ...check(input), notes };
}

/**
 * Seconds from healing until every order placed before it is paid and every
 * outbox row written before it is sent; null if that did not happen within `limitMs`.
 */
async function measureRecovery(evidence: Evidence, label: string, healAt: number, limitMs: number) {
  const at = new Date(healAt);
  while (Date.now() - healAt < limitMs) {
    const [row] = await evidence.query<{ n: string }>(
      `select (select count(*) from orders where idempotency_key like $1 and status = 'PENDING' and created_at <= $2)
            + (select count(*) from outbox where sent_at is null and created_at <= $2) as n`,
      [`${label}:%`, at],
    );
    if (Number(row?.n) === 0) return (Date.now() - healAt) / 1000;
    await sleep(200);
  }
  return null;
}

/**
 * Issue 12 item 4: right after a kill, which outbox rows were leased (by any
 * relay) and how long until they were all sent; and which notification
 * deliveries were leased, and for how much longer.
 */
async function measureStrandedWork(evidence: Evidence, what: string, limitMs: number, notes: string[]) {
  const killedAt = Date.now();
  const leased = await evidence.query<{ id: string; left_s: number }>(
    `select id, extract(epoch from locked_until - now())::float as left_s from outbox
      where sent_at is null and locked_until > now()`,
  );
  const deliveries = await evidence.query<{ n: string; left_s: number | null }>(
    `select count(*) as n, max(extract(epoch from locked_until - now()))::float as left_s from notification_deliveries
      where status = 'pending' and locked_until > now()`,
  );
  const leasedDeliveries = Number(deliveries[0]?.n ?? 0);
  notes.push(
    `${what} killed: ${leasedDeliveries} notification deliveries leased` +
      (leasedDeliveries > 0 ? `, the longest for ${deliveries[0]!.left_s!.toFixed(1)} s more` : ''),
  );
  if (leased.length === 0) {
    notes.push(`${what} killed: no outbox row was leased at that moment`);
    return;
  }
  const ids = leased.map((r) => r.id);
  const longest = Math.max(...leased.map((r) => r.left_s));
  while (Date.now() - killedAt < limitMs) {
    const [row] = await evidence.query<{ n: string }>(
      `select count(*) as n from outbox where id = any($1::uuid[]) and sent_at is null`,
      [ids],
    );
    if (Number(row?.n) === 0) {
      notes.push(
        `${what} killed: ${ids.length} outbox rows were leased (lease left up to ${longest.toFixed(1)} s); ` +
          `all sent ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
      );
      return;
    }
    await sleep(100);
  }
  notes.push(`${what} killed: ${ids.length} leased outbox rows still unsent after ${limitMs / 1000} s`);
}

/** Until every order of the scenario left PENDING, the outbox is empty and every subscriber has every change it may see. */
async function waitForQuiet(ctx: SuiteContext, label: string, limitMs: number): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    const orders = await ctx.evidence.orders(label);
    const customerOf = new Map(orders.map((o) => [o.id, o.customerId]));
    const pending = orders.filter((o) => o.status === 'PENDING').length;
    const unsent = await ctx.evidence.outboxUnsent();
    if (pending === 0 && unsent === 0) {
      const changes = await ctx.evidence.changes(orders.map((o) => o.id));
      const caughtUp = ctx.subscribers.every((s) => {
        const got = new Set(s.record.map((c) => `${c.orderId} v${c.version}`));
        return changes.every(
          (c) =>
            (s.customerId !== null && customerOf.get(c.orderId) !== s.customerId) ||
            got.has(`${c.orderId} v${c.version}`),
        );
      });
      if (caughtUp) return;
    }
    await sleep(500);
  }
}
