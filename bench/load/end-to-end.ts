// The open-loop end-to-end load process. One ADMIN subscriber (every order)
// and one subscriber per customer (its own orders) track changes the way
// docs/live.md tells a front end to: the stock graphql-ws client, retrying on
// any close and resuming with the last cursor as `after`, deduplicating by
// (order, version). Then, for each offered rate, orders arrive on a schedule
// (never waiting for a reply), each from the next customer; after the phase
// the process waits for its orders to be paid and holds every subscriber's
// record against the change feed in PostgreSQL.
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { createOrderCall, send } from '../lib/http.js';
import { arrivalsDue, ChangeLedger, compareLedger, scheduledAt, type ChangeKey } from '../lib/open-loop.js';
import { TRACK_SUBSCRIPTION } from '../lib/queries.js';
import { summarize, type LatencySummary } from '../lib/stats.js';

export interface EndToEndSpec {
  apiUrls: string[];
  databaseUrl: string;
  adminToken: string;
  /** The ADMIN subscriber's websocket URL. */
  adminSocketUrl: string;
  /** Each customer subscribes (at `socketUrl`) and places orders. */
  customers: { id: string; token: string; socketUrl: string }[];
  skuCount: number;
  rates: number[];
  phaseMs: number;
  drainMs: number;
  /** Goes into every order's shipping address, so the database can say which orders a phase placed. */
  tag: string;
  /** Processes whose CPU time is read at the start and end of each phase. */
  watch: { name: string; pid: number }[];
}

export interface PhaseResult {
  offeredPerSecond: number;
  scheduled: number;
  /** createOrder answered with an order. */
  placed: number;
  errors: number;
  firstError: string | null;
  /** Orders of the phase in the database (a createOrder whose answer was lost still counts here). */
  inDatabase: number;
  /** Orders of the phase the ADMIN saw reach PAID by the end of the drain. */
  paid: number;
  /** PAID changes the ADMIN saw from 1 s into the phase until its end, per second. */
  paidPerSecond: number;
  /** Scheduled createOrder → PAID seen by the customer's own subscriber. */
  customerLatencyMs: LatencySummary;
  /** Scheduled createOrder → PAID seen by the ADMIN subscriber. */
  adminLatencyMs: LatencySummary;
  /** Sockets of the subscribers that closed (each followed by a resume) during the phase and its drain. */
  closes: number;
  closeCodes: Record<string, number>;
  /** Changes the database entitles the subscribers to (summed over subscribers). */
  entitled: number;
  /** Changes owed and not delivered when the phase's drain ended. */
  missed: number;
  /** Of those, still not delivered at the end of the run (after a last, longer drain): lost, not late. */
  missedAtEnd: number;
  unexpected: number;
  /** Changes delivered again, dropped by the (order, version) dedupe. */
  duplicates: number;
  outOfOrder: number;
  /** The latest an arrival was sent after its scheduled instant. */
  maxSendLagMs: number;
  drainedInMs: number;
  /** The phase in the monotonic clock, microseconds (to cut CPU profiles). */
  window: { fromUs: number; toUs: number };
  /** CPU time of each watched process during the phase, in cores (1 = one core busy). */
  cpu: { name: string; cores: number | null }[];
}

export interface EndToEndResult {
  phases: PhaseResult[];
  /** Subscribers still without a cursor after the warm-up (they cannot resume without one). */
  withoutCursor: number;
  errors: string[];
}

interface Subscriber {
  customerId: string | null;
  ledger: ChangeLedger;
  /** Order id -> when its PAID arrived (performance.now()). */
  paidAt: Map<string, number>;
  closes: number;
  closeCodes: Map<number, number>;
  hasCursor: () => boolean;
  dispose: () => Promise<void>;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? `closed ${code}` : JSON.stringify(error).slice(0, 300);
}

function subscribe(url: string, token: string, customerId: string | null, errors: string[]): Subscriber {
  let disposed = false;
  const payload = { query: TRACK_SUBSCRIPTION, variables: {} as { after?: string } };
  const subscriber: Subscriber = {
    customerId,
    ledger: new ChangeLedger(),
    paidAt: new Map(),
    closes: 0,
    closeCodes: new Map(),
    hasCursor: () => payload.variables.after !== undefined,
    dispose: async () => {
      disposed = true;
      unsubscribe();
      await client.dispose();
    },
  };
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryWait: () => sleep(100 + Math.random() * 200),
    shouldRetry: () => true,
    connectionParams: { authorization: `Bearer ${token}` },
    on: {
      closed: (event) => {
        if (disposed) return;
        const code = (event as { code?: number }).code ?? 0;
        subscriber.closes++;
        subscriber.closeCodes.set(code, (subscriber.closeCodes.get(code) ?? 0) + 1);
      },
    },
    onNonLazyError: (error) => errors.push(describe(error)),
  });
  // The client sends this same payload again on every reconnect: keeping `after` current is the resume.
  const unsubscribe = client.subscribe<{
    orderStatusChanged: { version: number; cursor: string; status: string; order: { id: string } };
  }>(payload, {
    next: (result) => {
      if (result.errors?.length) errors.push(JSON.stringify(result.errors).slice(0, 300));
      const change = result.data?.orderStatusChanged;
      if (!change) return;
      payload.variables.after = change.cursor;
      if (subscriber.ledger.add(change.order.id, change.version) && change.status === 'PAID') {
        subscriber.paidAt.set(change.order.id, performance.now());
      }
    },
    error: (error) => errors.push(`subscription failed: ${describe(error)}`),
    complete: () => {
      if (!disposed) errors.push('a subscription was completed by the server');
    },
  });
  return subscriber;
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** utime + stime of a process in clock ticks (Linux), or null. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Busy clock ticks of the whole machine, every user's processes included (Linux), or null. */
function machineBusyTicks(): number | null {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = first.trim().split(/\s+/).map(Number);
    return [user, nice, system, irq, softirq, steal].reduce<number>((n, v) => n + (v ?? 0), 0);
  } catch {
    return null;
  }
}

/** Clock ticks per second; 100 on every Linux the bench runs on (getconf CLK_TCK). */
const TICKS_PER_SECOND = 100;

class Placer {
  readonly pending = new Set<Promise<void>>();
  private readonly agent = new Agent({ keepAlive: true });
  private readonly urls: URL[];
  private next = 0;
  errors = 0;
  firstError: string | null = null;

  constructor(private readonly spec: EndToEndSpec) {
    this.urls = spec.apiUrls.map((u) => new URL(u));
  }

  /**
   * Sends one createOrder for the next customer (in turn over the customers, and alternating each
   * customer's instance) and calls `onPlaced` with the order id; never waits for it.
   */
  place(address: string, onPlaced: (orderId: string, customer: number) => void, customer?: number): void {
    const n = this.next++;
    const who = customer ?? n % this.spec.customers.length;
    const url = this.urls[(n + Math.floor(n / this.spec.customers.length)) % this.urls.length] as URL;
    const token = (this.spec.customers[who] as { token: string }).token;
    const call = send(this.agent, url, createOrderCall(url, token, this.spec.skuCount, address)).then(({ body }) => {
      const id = (JSON.parse(body) as { data?: { createOrder?: { id: string } } }).data?.createOrder?.id;
      if (!id) throw new Error(body.slice(0, 300));
      onPlaced(id, who);
    });
    const tracked = call.catch((error: unknown) => {
      this.errors++;
      this.firstError ??= describe(error);
    });
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  destroy(): void {
    this.agent.destroy();
  }
}

/** Offers `total` arrivals at `rate`/s on schedule; `arrive(index, scheduledAt)` must not block. */
async function offer(
  rate: number,
  total: number,
  arrive: (index: number, scheduled: number) => void,
): Promise<{ maxLagMs: number }> {
  const t0 = performance.now();
  let sent = 0;
  let maxLagMs = 0;
  while (sent < total) {
    const elapsed = performance.now() - t0;
    for (const due = arrivalsDue(rate, elapsed, total); sent < due; sent++) {
      const at = scheduledAt(rate, sent);
      maxLagMs = Math.max(maxLagMs, elapsed - at);
      arrive(sent, t0 + at);
    }
    if (sent < total) await sleep(Math.max(1, t0 + scheduledAt(rate, sent) - performance.now()));
  }
  return { maxLagMs };
}

interface PhaseOrders {
  ids: Set<string>;
  pending: number;
  changes: (ChangeKey & { customerId: string })[];
}

async function phaseOrders(db: pg.Client, address: string): Promise<PhaseOrders> {
  const orders = await db.query<{ id: string; status: string }>(
    'select id, status from orders where shipping_address = $1',
    [address],
  );
  const changes = await db.query<{ order_id: string; customer_id: string; version: number }>(
    `select c.order_id, c.customer_id, c.version
       from order_changes c join orders o on o.id = c.order_id
      where o.shipping_address = $1`,
    [address],
  );
  return {
    ids: new Set(orders.rows.map((r) => r.id)),
    pending: orders.rows.filter((r) => r.status === 'PENDING').length,
    changes: changes.rows.map((r) => ({ orderId: r.order_id, customerId: r.customer_id, version: r.version })),
  };
}

/** Reads the phase's orders and holds every subscriber's record against them. */
async function compareAll(db: pg.Client, subscribers: Subscriber[], address: string) {
  // What had arrived before the read is all that can be held against it (a later arrival may be a later commit).
  const arrivedBefore = subscribers.map((s) => s.ledger.arrivals);
  const orders = await phaseOrders(db, address);
  let entitled = 0;
  let missed = 0;
  let unexpected = 0;
  for (const [i, s] of subscribers.entries()) {
    const mine = s.customerId === null ? orders.changes : orders.changes.filter((c) => c.customerId === s.customerId);
    const outcome = compareLedger(s.ledger, mine, orders.ids, arrivedBefore[i]);
    entitled += mine.length;
    missed += outcome.missed;
    unexpected += outcome.unexpected;
  }
  return { orders, entitled, missed, unexpected };
}

export async function runEndToEnd(spec: EndToEndSpec): Promise<EndToEndResult> {
  const errors: string[] = [];
  const db = new pg.Client({ connectionString: spec.databaseUrl });
  await db.connect();
  const admin = subscribe(spec.adminSocketUrl, spec.adminToken, null, errors);
  const customers = spec.customers.map((c) => subscribe(c.socketUrl, c.token, c.id, errors));
  const subscribers = [admin, ...customers];
  const placer = new Placer(spec);
  const addressOf = (rate: number) => `${spec.tag} ${rate}/s`;
  const probes = [
    ...[...spec.watch, { name: 'the load process', pid: process.pid }].map((w) => ({
      name: w.name,
      read: () => cpuTicks(w.pid),
    })),
    { name: 'the whole machine (every user)', read: machineBusyTicks },
  ];
  try {
    // Warm-up: each customer places an order, so every subscriber holds a cursor before the
    // measured phases (one without a cursor could not resume, docs/live.md); up to three tries.
    await sleep(1_000);
    for (let round = 0; round < 3 && subscribers.some((s) => !s.hasCursor()); round++) {
      const waiting = spec.customers.flatMap((_, i) => (customers[i]?.hasCursor() ? [] : [i]));
      await offer(25, waiting.length, (index) =>
        placer.place(`${spec.tag} warm-up`, () => undefined, waiting[index] as number),
      );
      const until = performance.now() + 15_000;
      while (performance.now() < until && subscribers.some((s) => !s.hasCursor())) await sleep(100);
    }
    const withoutCursor = subscribers.filter((s) => !s.hasCursor()).length;

    const phases: PhaseResult[] = [];
    for (const rate of spec.rates) {
      const address = addressOf(rate);
      const total = Math.round((rate * spec.phaseMs) / 1000);
      const placed = new Map<string, { scheduled: number; customer: number }>();
      const errorsBefore = placer.errors;
      placer.firstError = null;
      const closesBefore = subscribers.map((s) => s.closes);
      const codesBefore = subscribers.map((s) => new Map(s.closeCodes));
      const duplicatesBefore = subscribers.reduce((n, s) => n + s.ledger.duplicates, 0);
      const outOfOrderBefore = subscribers.reduce((n, s) => n + s.ledger.outOfOrder, 0);
      const cpuBefore = probes.map((p) => p.read());
      const fromUs = monotonicUs();
      const start = performance.now();

      const { maxLagMs } = await offer(rate, total, (_, scheduled) =>
        placer.place(address, (id, customer) => placed.set(id, { scheduled, customer })),
      );
      const end = start + spec.phaseMs;
      if (performance.now() < end) await sleep(end - performance.now());
      const toUs = monotonicUs();
      const cpuAfter = probes.map((p) => p.read());
      const seconds = (toUs - fromUs) / 1e6;

      // Drain: every createOrder answered, no order of the phase left PENDING, every subscriber holding
      // every change it is entitled to; or the drain time is up.
      const drainUntil = performance.now() + spec.drainMs;
      let compared = await compareAll(db, subscribers, address);
      while (
        performance.now() < drainUntil &&
        (placer.pending.size > 0 || compared.orders.pending > 0 || compared.missed > 0)
      ) {
        await sleep(500);
        compared = await compareAll(db, subscribers, address);
      }
      const orders = compared.orders;
      const drainedInMs = performance.now() - end;

      const customerLatencies: number[] = [];
      const adminLatencies: number[] = [];
      for (const [id, { scheduled, customer }] of placed) {
        const own = customers[customer]?.paidAt.get(id);
        if (own !== undefined) customerLatencies.push(own - scheduled);
        const seen = admin.paidAt.get(id);
        if (seen !== undefined) adminLatencies.push(seen - scheduled);
      }
      let paid = 0;
      let paidInWindow = 0;
      for (const id of orders.ids) {
        const seen = admin.paidAt.get(id);
        if (seen === undefined) continue;
        paid++;
        if (seen >= start + 1_000 && seen <= end) paidInWindow++;
      }
      const closeCodes: Record<string, number> = {};
      subscribers.forEach((s, i) => {
        for (const [code, count] of s.closeCodes) {
          const before = codesBefore[i]?.get(code) ?? 0;
          if (count > before) closeCodes[String(code)] = (closeCodes[String(code)] ?? 0) + count - before;
        }
      });
      phases.push({
        offeredPerSecond: rate,
        scheduled: total,
        placed: placed.size,
        errors: placer.errors - errorsBefore,
        firstError: placer.firstError,
        inDatabase: orders.ids.size,
        paid,
        paidPerSecond: paidInWindow / ((spec.phaseMs - 1_000) / 1000),
        customerLatencyMs: summarize(customerLatencies),
        adminLatencyMs: summarize(adminLatencies),
        closes: subscribers.reduce((n, s, i) => n + s.closes - (closesBefore[i] ?? 0), 0),
        closeCodes,
        entitled: compared.entitled,
        missed: compared.missed,
        missedAtEnd: compared.missed,
        unexpected: compared.unexpected,
        duplicates: subscribers.reduce((n, s) => n + s.ledger.duplicates, 0) - duplicatesBefore,
        outOfOrder: subscribers.reduce((n, s) => n + s.ledger.outOfOrder, 0) - outOfOrderBefore,
        maxSendLagMs: maxLagMs,
        drainedInMs,
        window: { fromUs, toUs },
        cpu: probes.map((w, i) => {
          const before = cpuBefore[i];
          const after = cpuAfter[i];
          return {
            name: w.name,
            cores: before == null || after == null ? null : (after - before) / TICKS_PER_SECOND / seconds,
          };
        }),
      });
    }
    // A change still owed after a phase's drain may be late rather than lost: look again at the end.
    const lastUntil = performance.now() + spec.drainMs;
    for (;;) {
      for (const phase of phases) {
        if (phase.missedAtEnd === 0) continue;
        phase.missedAtEnd = (await compareAll(db, subscribers, addressOf(phase.offeredPerSecond))).missed;
      }
      if (phases.every((p) => p.missedAtEnd === 0) || performance.now() > lastUntil) break;
      await sleep(1_000);
    }
    return { phases, withoutCursor, errors: [...new Set(errors)].slice(0, 10) };
  } finally {
    placer.destroy();
    await Promise.all(subscribers.map((s) => s.dispose()));
    await db.end();
  }
}

if (process.send) {
  process.once('message', (spec: EndToEndSpec) => {
    runEndToEnd(spec).then(
      (result) => process.send?.({ type: 'result', result }, () => process.exit(0)),
      (error: unknown) =>
        process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) }, () =>
          process.exit(1),
        ),
    );
  });
}
