// A database of the test run's own: a fresh PostgreSQL database when
// TEST_DATABASE_URL is set (dropped afterwards), else an in-memory PGlite.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { testServices } from './services.js';

export interface TestDatabase {
  url: string;
  /** PGlite: one session behind every connection, so no named prepared statements (order-reads.service.ts). */
  embedded: boolean;
  drop(): Promise<void>;
}

/** What a service on `db` needs besides its URL: the embedded database keeps no prepared statements. */
export function databaseSettings(db: TestDatabase): Record<string, string> {
  return db.embedded ? { DATABASE_PREPARED_STATEMENTS: 'false' } : {};
}

async function withAdmin<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = testServices.databaseUrl;
  if (!adminUrl) {
    const embedded = await startEmbeddedPostgres({ dataDir: undefined });
    return { url: embedded.url, embedded: true, drop: () => embedded.stop() };
  }
  const name = `orders_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    embedded: false,
    drop: () =>
      withAdmin(adminUrl, (client) => client.query(`drop database if exists "${name}" with (force)`)).then(
        () => undefined,
      ),
  };
}
