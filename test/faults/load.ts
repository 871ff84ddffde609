// The fault suite's clients: customers placing orders at a steady rate, each
// with an idempotency key of its own, sent again unchanged (to either API
// instance, as through a load balancer) after any failure, timeout or error
// answer until one answer acknowledges it with an order id. What each key was
// told is the history the checker holds against the database.
import { randomUUID } from 'node:crypto';
import type { KeyOutcome } from './checker.js';

const CREATE_ORDER = `mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id status } }`;
const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }`;
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { accessToken user { id } } }`;

export interface Account {
  id: string;
  token: string;
}

interface Reply<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function post<T>(url: string, query: string, variables: unknown, token?: string, timeoutMs = 10_000) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  try {
    return { status: response.status, ...(JSON.parse(text) as Reply<T>) };
  } catch {
    return { status: response.status, errors: [{ message: text.slice(0, 200) }] } as Reply<T> & { status: number };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type AuthReply = { accessToken: string; user: { id: string } };

export async function registerCustomer(url: string): Promise<Account> {
  const input = { email: `faults-${randomUUID().slice(0, 12)}@example.com`, password: 'faults-password-1' };
  const reply = await post<{ register: AuthReply }>(url, REGISTER, { input });
  if (!reply.data) throw new Error(`register failed: ${JSON.stringify(reply.errors)}`);
  return { id: reply.data.register.user.id, token: reply.data.register.accessToken };
}

export async function login(url: string, input: { email: string; password: string }): Promise<Account> {
  const reply = await post<{ login: AuthReply }>(url, LOGIN, { input });
  if (!reply.data) throw new Error(`login failed: ${JSON.stringify(reply.errors)}`);
  return { id: reply.data.login.user.id, token: reply.data.login.accessToken };
}

export interface OrderLine {
  sku: string;
  quantity: number;
}

export interface KeyRecord extends KeyOutcome {
  answeredIds: string[];
  scenario: string;
  lines: OrderLine[];
  attempts: number;
  /** Why attempts failed: error codes, HTTP statuses, network errors. */
  failures: Map<string, number>;
  /** Date.now() of the acknowledgment. */
  ackedAt: number | null;
}

export interface LoadOptions {
  /** Where to send requests; tried in turn, moving on after each failure. */
  urls: () => readonly string[];
  customers: readonly Account[];
  skus: readonly string[];
  /** Longest wait for one answer before the client gives up on it and sends the key again. */
  requestTimeoutMs: number;
}

export class OrderLoad {
  readonly records: KeyRecord[] = [];
  private inFlight = new Set<Promise<void>>();
  private giveUpAt = Number.POSITIVE_INFINITY;
  private next = 0;

  constructor(private readonly options: LoadOptions) {}

  /**
   * Every customer places orders one after another, about `ratePerSecond`
   * in all, until `until` resolves: each order is retried with its key until
   * acknowledged before that customer places the next (so an outage slows
   * the load down instead of piling up requests, as real shoppers would).
   * A key still unanswered when `until` resolves keeps retrying until settle().
   */
  async run(scenario: string, ratePerSecond: number, until: Promise<unknown>): Promise<void> {
    let stopped = false;
    void until.then(() => (stopped = true));
    const customers = this.options.customers;
    const everyMs = (1000 * customers.length) / ratePerSecond;
    await Promise.all(
      customers.map(async (customer, i) => {
        // Spread the customers' first orders over one interval.
        await Promise.race([sleep((i * everyMs) / customers.length), until]);
        while (!stopped) {
          const started = Date.now();
          const attempt = this.place(scenario, customer);
          this.inFlight.add(attempt);
          await Promise.race([attempt, until]);
          const wait = started + everyMs - Date.now();
          if (wait > 0 && !stopped) await Promise.race([sleep(wait), until]);
        }
      }),
    );
  }

  /** Waits until every key is acknowledged, or `timeoutMs` passed (those keys then stay unacknowledged). */
  async settle(timeoutMs: number): Promise<void> {
    this.giveUpAt = Date.now() + timeoutMs;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    this.giveUpAt = Number.POSITIVE_INFINITY;
  }

  of(scenario: string): KeyRecord[] {
    return this.records.filter((r) => r.scenario === scenario);
  }

  private place(scenario: string, customer: Account): Promise<void> {
    const n = this.next++;
    const skus = this.options.skus;
    const first = Math.floor(Math.random() * skus.length);
    const lines: OrderLine[] = [{ sku: skus[first]!, quantity: 1 + (n % 3) }];
    if (n % 2 === 1) lines.push({ sku: skus[(first + 1) % skus.length]!, quantity: 1 });
    const record: KeyRecord = {
      scenario,
      key: `${scenario}:${n}:${randomUUID()}`,
      customerId: customer.id,
      ackedOrderId: null,
      answeredIds: [],
      lines,
      attempts: 0,
      failures: new Map(),
      ackedAt: null,
    };
    this.records.push(record);
    const attempt: Promise<void> = this.untilAcknowledged(record, customer, n).finally(() =>
      this.inFlight.delete(attempt),
    );
    return attempt;
  }

  private async untilAcknowledged(record: KeyRecord, customer: Account, n: number): Promise<void> {
    const input = { items: record.lines, shippingAddress: `${n} Fault Lane`, idempotencyKey: record.key };
    while (Date.now() < this.giveUpAt) {
      const urls = this.options.urls();
      const url = urls[(n + record.attempts) % urls.length]!;
      record.attempts++;
      let why: string;
      try {
        const reply = await post<{ createOrder: { id: string } }>(
          url,
          CREATE_ORDER,
          { input },
          customer.token,
          this.options.requestTimeoutMs,
        );
        const id = reply.data?.createOrder?.id;
        if (id) record.answeredIds.push(id);
        if (id && !reply.errors?.length) {
          record.ackedOrderId = id;
          record.ackedAt = Date.now();
          return;
        }
        why = reply.errors?.[0]?.extensions?.code ?? `HTTP ${reply.status}`;
      } catch (error) {
        const cause = (error as Error).cause as { code?: string } | undefined;
        why = cause?.code ?? (error as Error).name;
      }
      record.failures.set(why, (record.failures.get(why) ?? 0) + 1);
      // Backs off, with jitter, so an outage is not a storm; the next try goes to the other instance.
      const backoff = Math.min(3000, 200 * 2 ** Math.min(record.attempts - 1, 4));
      await sleep(backoff / 2 + Math.random() * (backoff / 2));
    }
  }
}
