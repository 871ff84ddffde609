// Starts the whole service for a test file, on its own database, and gives
// back a client and helpers to make customers, admins and products.
import { randomUUID } from 'node:crypto';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { Product } from '../../src/catalog/product.entity.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { LoginDocument, RegisterDocument } from '../generated/graphql.js';
import { GraphQLClient } from './client.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const ADMIN = { email: 'admin@orders.test', password: 'admin-password-1' };

export interface TestApp {
  app: App;
  client: GraphQLClient;
  db: TestDatabase;
  stop(): Promise<void>;
}

export async function startTestApp(
  env: Record<string, string> = {},
  options: { logger?: Logger; databaseUrl?: (url: string) => Promise<string> } = {},
): Promise<TestApp> {
  const db = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: options.databaseUrl ? await options.databaseUrl(db.url) : db.url,
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
    BCRYPT_COST: '10',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    SEED_DEMO_DATA: 'true',
    ...env,
  });
  const app = await startApp(config, options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
  return {
    app,
    db,
    client: new GraphQLClient(app.url),
    async stop() {
      await app.stop();
      await db.drop();
    },
  };
}

export function uniqueEmail(prefix = 'customer'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
}

/** Registers a new customer and returns a client that acts as them. */
export async function newCustomer(t: TestApp) {
  const email = uniqueEmail();
  const data = await t.client.ok(RegisterDocument, { input: { email, password: 'password-123' } });
  return {
    id: data.register.user.id,
    email,
    token: data.register.accessToken,
    client: t.client.as(data.register.accessToken),
  };
}

export async function adminClient(t: TestApp) {
  const data = await t.client.ok(LoginDocument, { input: ADMIN });
  return { id: data.login.user.id, client: t.client.as(data.login.accessToken) };
}

/** Adds a product of the test's own (unique sku) and returns its sku. */
export async function addProduct(t: TestApp, fields: { stock: number; priceMinor?: number; currency?: string }) {
  const sku = `TEST-${randomUUID().slice(0, 8).toUpperCase()}`;
  await t.app.orm.em.fork().insert(Product, {
    sku,
    name: `Test product ${sku}`,
    priceMinor: fields.priceMinor ?? 1000,
    currency: fields.currency ?? 'EUR',
    stock: fields.stock,
  });
  return sku;
}

export async function stockOf(t: TestApp, sku: string): Promise<number> {
  const product = await t.app.orm.em.fork().findOneOrFail(Product, { sku });
  return product.stock;
}
