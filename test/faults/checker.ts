// The fault-injection suite's judge: what the clients were told, what the
// database, the broker and each live subscriber hold after healing, and the
// rules that must hold between them. Pure: it takes evidence and
// returns violations, so its rules are unit-tested on fabricated histories
// (checker.test.ts) and can be seen to fail.

/** One idempotency key of the load: what its client was finally told. */
export interface KeyOutcome {
  key: string;
  customerId: string;
  /** The order id of the acknowledgment, or null when the client never got one. */
  ackedOrderId: string | null;
  /** Every order id any attempt for this key was answered with (one, if idempotency holds). */
  answeredIds: readonly string[];
}

export interface StoredOrder {
  id: string;
  customerId: string;
  idempotencyKey: string | null;
  status: string;
  version: number;
}

/** A row of the audit trail (order_history). */
export interface HistoryRow {
  orderId: string;
  type: string;
  fromStatus: string | null;
  toStatus: string | null;
}

/** A row of the change feed (order_changes): one per version after the first. */
export interface FeedChange {
  orderId: string;
  version: number;
  fromStatus: string;
  toStatus: string;
}

export interface StockLevel {
  sku: string;
  initial: number;
  final: number;
  /** Units of this sku in every order line in the database. */
  ordered: number;
}

export interface LiveChange {
  orderId: string;
  version: number;
  status: string;
}

export interface SubscriberRecord {
  name: string;
  /** null: an ADMIN, who sees every order; else the customer whose orders it sees. */
  customerId: string | null;
  received: readonly LiveChange[];
}

export interface ScenarioEvidence {
  scenario: string;
  keys: readonly KeyOutcome[];
  /** Every order in the database whose key belongs to this scenario. */
  orders: readonly StoredOrder[];
  history: readonly HistoryRow[];
  changes: readonly FeedChange[];
  /** Whole-database figures: they must hold after every scenario. */
  stock: readonly StockLevel[];
  outboxUnsent: number;
  /** Messages per dead-letter queue. */
  deadLetters: Readonly<Record<string, number>>;
  subscribers: readonly SubscriberRecord[];
  /** The status every order ends in once quiet (the payment simulator pays all: failure rate 0). */
  expectedStatus: string;
  /** The history every such order ends with, as (type, from, to), in any order. */
  expectedHistory: readonly Pick<HistoryRow, 'type' | 'fromStatus' | 'toStatus'>[];
  /** Seconds from healing until the backlog was worked off; null when it never was in the bounded wait. */
  recoverySeconds: number | null;
}

export type Rule =
  | 'lost'
  | 'unacknowledged'
  | 'two-orders-one-key'
  | 'answered-two-ids'
  | 'paid-twice'
  | 'history-repeated'
  | 'history-missing'
  | 'stock-moved'
  | 'stuck'
  | 'outbox-unsent'
  | 'dead-letters'
  | 'live-missed'
  | 'live-duplicated'
  | 'live-unknown'
  | 'live-out-of-order';

export interface Violation {
  rule: Rule;
  detail: string;
}

export interface ScenarioRow {
  scenario: string;
  acked: number;
  lost: number;
  unacked: number;
  /** Two orders for one key, or one key answered with two ids. */
  duplicateOrders: number;
  /** Paid twice, history repeated, stock moved by other than the ordered quantities. */
  duplicateEffects: number;
  stuck: number;
  unsent: number;
  dlq: number;
  missed: number;
  liveDuplicated: number;
  recoverySeconds: number | null;
}

export interface Verdict {
  row: ScenarioRow;
  violations: Violation[];
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

const historyKey = (h: Pick<HistoryRow, 'type' | 'fromStatus' | 'toStatus'>) =>
  `${h.type} ${h.fromStatus ?? '-'}->${h.toStatus ?? '-'}`;

export function check(evidence: ScenarioEvidence): Verdict {
  const violations: Violation[] = [];
  const flag = (rule: Rule, detail: string) => violations.push({ rule, detail });
  const count = (rule: Rule) => violations.filter((v) => v.rule === rule).length;

  // --- acknowledgments against the orders table ------------------------------------------
  const ordersByKey = new Map<string, StoredOrder[]>();
  for (const order of evidence.orders) {
    const list = ordersByKey.get(`${order.customerId} ${order.idempotencyKey}`) ?? [];
    list.push(order);
    ordersByKey.set(`${order.customerId} ${order.idempotencyKey}`, list);
  }
  const ackedIds = new Set<string>();
  for (const outcome of evidence.keys) {
    const stored = ordersByKey.get(`${outcome.customerId} ${outcome.key}`) ?? [];
    if (stored.length > 1)
      flag('two-orders-one-key', `key ${outcome.key}: orders ${stored.map((o) => o.id).join(', ')}`);
    if (new Set(outcome.answeredIds).size > 1) {
      flag('answered-two-ids', `key ${outcome.key} was answered with ${[...new Set(outcome.answeredIds)].join(', ')}`);
    }
    if (outcome.ackedOrderId === null) continue;
    ackedIds.add(outcome.ackedOrderId);
    if (!stored.some((o) => o.id === outcome.ackedOrderId)) {
      flag('lost', `key ${outcome.key}: acknowledged as ${outcome.ackedOrderId}, not in the database`);
    }
  }
  for (const order of evidence.orders) {
    if (!ackedIds.has(order.id)) {
      flag('unacknowledged', `order ${order.id} (key ${order.idempotencyKey}) was never acknowledged to its client`);
    }
  }

  // --- effects: once each ----------------------------------------------------------------
  const orderIds = new Set(evidence.orders.map((o) => o.id));
  const historyByOrder = new Map<string, HistoryRow[]>();
  for (const row of evidence.history) {
    historyByOrder.set(row.orderId, [...(historyByOrder.get(row.orderId) ?? []), row]);
  }
  for (const order of evidence.orders) {
    const rows = historyByOrder.get(order.id) ?? [];
    const paid = rows.filter((h) => h.toStatus === 'PAID' && h.fromStatus !== 'PAID').length;
    const paidChanges = evidence.changes.filter((c) => c.orderId === order.id && c.toStatus === 'PAID').length;
    if (paid > 1 || paidChanges > 1)
      flag('paid-twice', `order ${order.id}: ${Math.max(paid, paidChanges)} moves to PAID`);
    for (const [key, n] of countBy(rows, historyKey)) {
      if (n > 1) flag('history-repeated', `order ${order.id}: "${key}" ${n} times`);
    }
    const present = new Set(rows.map(historyKey));
    for (const expected of evidence.expectedHistory) {
      if (!present.has(historyKey(expected)))
        flag('history-missing', `order ${order.id}: no "${historyKey(expected)}"`);
    }
  }
  for (const level of evidence.stock) {
    if (level.initial - level.final !== level.ordered) {
      flag(
        'stock-moved',
        `${level.sku}: stock went ${level.initial} -> ${level.final} (moved ${level.initial - level.final}) for ${level.ordered} units ordered`,
      );
    }
  }

  // --- quiescence ------------------------------------------------------------------------
  for (const order of evidence.orders) {
    if (order.status !== evidence.expectedStatus) {
      flag('stuck', `order ${order.id} is ${order.status} (v${order.version}), expected ${evidence.expectedStatus}`);
    }
  }
  if (evidence.outboxUnsent > 0) flag('outbox-unsent', `${evidence.outboxUnsent} outbox rows never sent`);
  for (const [queue, n] of Object.entries(evidence.deadLetters)) {
    if (n > 0) flag('dead-letters', `${queue}: ${n} messages`);
  }

  // --- live subscribers ------------------------------------------------------------------
  const customerOf = new Map(evidence.orders.map((o) => [o.id, o.customerId]));
  const feedKeys = new Set(evidence.changes.map((c) => `${c.orderId} v${c.version}`));
  let missed = 0;
  let liveDuplicated = 0;
  for (const subscriber of evidence.subscribers) {
    const sees = (orderId: string) =>
      subscriber.customerId === null || customerOf.get(orderId) === subscriber.customerId;
    const received = subscriber.received.filter((c) => orderIds.has(c.orderId));
    const got = countBy(received, (c) => `${c.orderId} v${c.version}`);
    for (const change of evidence.changes) {
      if (!sees(change.orderId)) continue;
      if (!got.has(`${change.orderId} v${change.version}`)) {
        missed++;
        flag('live-missed', `${subscriber.name}: order ${change.orderId} v${change.version} (${change.toStatus})`);
      }
    }
    for (const [key, n] of got) {
      if (n > 1) {
        liveDuplicated += n - 1;
        flag('live-duplicated', `${subscriber.name}: ${key} arrived ${n} times`);
      }
      if (!feedKeys.has(key)) flag('live-unknown', `${subscriber.name}: ${key} is no change in the feed`);
    }
    const shown = new Map<string, number>();
    for (const change of received) {
      const last = shown.get(change.orderId) ?? 1;
      if (change.version < last) {
        flag('live-out-of-order', `${subscriber.name}: order ${change.orderId} v${change.version} after v${last}`);
      }
      shown.set(change.orderId, Math.max(last, change.version));
    }
    for (const change of received) {
      if (!sees(change.orderId))
        flag('live-unknown', `${subscriber.name}: saw order ${change.orderId} of another customer`);
    }
  }

  const dlq = Object.values(evidence.deadLetters).reduce((a, b) => a + b, 0);
  return {
    violations,
    row: {
      scenario: evidence.scenario,
      acked: evidence.keys.filter((k) => k.ackedOrderId !== null).length,
      lost: count('lost'),
      unacked: count('unacknowledged'),
      duplicateOrders: count('two-orders-one-key') + count('answered-two-ids'),
      duplicateEffects: count('paid-twice') + count('history-repeated') + count('stock-moved'),
      stuck: count('stuck'),
      unsent: evidence.outboxUnsent,
      dlq,
      missed,
      liveDuplicated,
      recoverySeconds: evidence.recoverySeconds,
    },
  };
}

const COLUMNS: [keyof ScenarioRow, string][] = [
  ['scenario', 'scenario'],
  ['acked', 'acked'],
  ['lost', 'lost'],
  ['unacked', 'unacked'],
  ['duplicateOrders', 'dup orders'],
  ['duplicateEffects', 'dup effects'],
  ['stuck', 'stuck'],
  ['unsent', 'unsent'],
  ['dlq', 'dlq'],
  ['missed', 'live missed'],
  ['liveDuplicated', 'live dup'],
  ['recoverySeconds', 'recovery s'],
];

/** The rows as a Markdown table, as printed after a run and pasted into the README. */
export function formatTable(rows: readonly ScenarioRow[]): string {
  const cell = (row: ScenarioRow, key: keyof ScenarioRow) => {
    const value = row[key];
    if (value === null) return 'never';
    return typeof value === 'number' && key === 'recoverySeconds' ? value.toFixed(1) : String(value);
  };
  const lines = [
    `| ${COLUMNS.map(([, title]) => title).join(' | ')} |`,
    `| ${COLUMNS.map(([key]) => (key === 'scenario' ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${COLUMNS.map(([key]) => cell(row, key)).join(' | ')} |`),
  ];
  return lines.join('\n');
}
