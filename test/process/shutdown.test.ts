// SIGTERM under load: the compiled service, on a database of the test's own,
// takes createOrder requests from several clients at once; mid-load it gets
// SIGTERM. Every order a client was told succeeded must be in the database
// (with its outbox event), no request may get an error response, in-flight
// requests finish, and the process exits 0 within SHUTDOWN_TIMEOUT.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMain, type RunningService } from '../support/compiled.js';
import { createTestDatabase, databaseSettings, type TestDatabase } from '../support/database.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;
const CLIENTS = 12;
const SIGTERM_AFTER = 60;

let db: TestDatabase;
let service: RunningService | undefined;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
  await db?.drop();
});

interface Outcome {
  sentAfterSigterm: boolean;
  answeredAfterSigterm: boolean;
  /** The order id when the response carried one. */
  orderId?: string;
  /** An HTTP response that was not a created order. */
  badResponse?: string;
  /** No response at all: refused or cut connection, expected once the server closes. */
  connectionError?: string;
}

async function createOrder(url: string, token: string, sku: string): Promise<Pick<Outcome, 'orderId' | 'badResponse'>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: 'mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
      variables: {
        input: { items: [{ sku, quantity: 1 }], shippingAddress: '1 Drain Street', idempotencyKey: randomUUID() },
      },
    }),
  });
  const text = await response.text();
  const body = JSON.parse(text) as { data?: { createOrder?: { id: string } }; errors?: unknown[] };
  const orderId = body.data?.createOrder?.id;
  return response.status === 200 && orderId && !body.errors
    ? { orderId }
    : { badResponse: `${response.status} ${text}` };
}

describe('graceful shutdown', () => {
  it('on SIGTERM under createOrder load: every acknowledged order is stored, and the process exits 0 in time', async () => {
    service = await startMain({
      // As in the Docker image; NODE_ENV=test would also hide Apollo's own signal handling.
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: db.url,
      ...databaseSettings(db),
      JWT_SECRET: 'shutdown-test-secret-long-enough-for-hs256-0123456789',
      BCRYPT_COST: '10',
      SEED_DEMO_DATA: 'false',
      SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS}ms`,
      // The load is the point here, not the limits.
      RATE_LIMIT_CREATE_ORDER: '1000000/1m',
      RATE_LIMIT_DEFAULT: '1000000/1m',
    });
    const { url } = service;

    const sku = `DRAIN-${randomUUID().slice(0, 8)}`;
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query('insert into products (sku, name, price_minor, currency, stock) values ($1, $2, 500, $3, $4)', [
        sku,
        'Drain test product',
        'EUR',
        1_000_000,
      ]);
      const registered = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken } }',
          variables: { input: { email: `drain-${randomUUID().slice(0, 8)}@example.com`, password: 'password-123' } },
        }),
      });
      const token = ((await registered.json()) as { data: { register: { accessToken: string } } }).data.register
        .accessToken;

      const outcomes: Outcome[] = [];
      let sigtermAt: number | undefined;
      let exitedAt: number | undefined;
      let signalled!: () => void;
      const sigtermSent = new Promise<void>((resolve) => (signalled = resolve));
      const exit = service.exited.then((result) => {
        exitedAt = Date.now();
        return result;
      });

      const client = async () => {
        // Each client keeps one request in flight until the server is gone.
        while (exitedAt === undefined) {
          const sentAfterSigterm = sigtermAt !== undefined;
          const outcome: Outcome = { sentAfterSigterm, answeredAfterSigterm: false };
          try {
            Object.assign(outcome, await createOrder(url, token, sku));
          } catch (error) {
            outcome.connectionError = String((error as Error).cause ?? error);
          }
          outcome.answeredAfterSigterm = sigtermAt !== undefined;
          outcomes.push(outcome);
          if (outcome.connectionError && sigtermAt !== undefined) return;
          if (sigtermAt === undefined && outcomes.filter((o) => o.orderId).length >= SIGTERM_AFTER) {
            sigtermAt = Date.now();
            service!.child.kill('SIGTERM');
            signalled();
          }
        }
      };
      const clients = Array.from({ length: CLIENTS }, client);
      await sigtermSent;
      const { code, signal } = await exit;
      await Promise.all(clients);
      const stoppedInMs = exitedAt! - sigtermAt!;

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(stoppedInMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      // Nothing answered with an error: requests either completed or never got in.
      expect(outcomes.filter((o) => o.badResponse).map((o) => o.badResponse)).toEqual([]);
      // Before SIGTERM, nothing failed at all.
      expect(outcomes.filter((o) => !o.answeredAfterSigterm && !o.orderId)).toEqual([]);
      // Requests in flight at SIGTERM were finished and answered, not cut off.
      expect(outcomes.filter((o) => !o.sentAfterSigterm && o.answeredAfterSigterm && o.orderId).length).toBeGreaterThan(
        0,
      );

      const acknowledged = outcomes.flatMap((o) => (o.orderId ? [o.orderId] : []));
      expect(acknowledged.length).toBeGreaterThanOrEqual(SIGTERM_AFTER);
      const stored = await admin.query<{ id: string }>('select id from orders where id = any($1::uuid[])', [
        acknowledged,
      ]);
      expect(stored.rows.map((r) => r.id).sort()).toEqual([...acknowledged].sort());
      const events = await admin.query<{ n: string }>(
        "select count(distinct aggregate_id) as n from outbox where type = 'order.created' and aggregate_id = any($1::uuid[])",
        [acknowledged],
      );
      expect(Number(events.rows[0]!.n)).toBe(acknowledged.length);

      const messages = service.logs.map((l) => l.msg);
      expect(messages).toContain('shutting down');
      expect(messages).toContain('stopped');
    } finally {
      await admin.end();
    }
  });
});
