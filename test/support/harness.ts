// Starts the whole service for a test file, on its own database, and gives
// back a client and helpers to make customers, admins and products.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSUMERS } from '../../consumers/index.js';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { Product } from '../../src/catalog/product.entity.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { LoginDocument, RegisterDocument } from '../generated/graphql.js';
import { GraphQLClient } from './client.js';
import { createTestDatabase, databaseSettings, type TestDatabase } from './database.js';
import { createTestVhost, viaPort, type TestVhost } from './rabbitmq.js';
import { createTestRedis, type TestRedis } from './redis.js';

export const ADMIN = { email: 'admin@orders.test', password: 'admin-password-1' };

export interface TestApp {
  app: App;
  client: GraphQLClient;
  db: TestDatabase;
  /** Undefined without TEST_REDIS_URL (in-process pub/sub, cache and limits). */
  redis: TestRedis | undefined;
  /** The RabbitMQ vhost of this test file (url undefined: the in-process bus). */
  vhost: TestVhost;
  /** The environment the app was started with (a second instance starts from it). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  logger?: Logger;
  /** Start a second instance of `shareWith`'s deployment: its database, Redis prefix and vhost. */
  shareWith?: TestApp;
  /** Reach RabbitMQ through this local port (a test's own proxy) instead of directly. */
  rabbitmqPort?: number;
  /** Rewrites the database URL the app gets (e.g. to go through a test's own proxy). */
  databaseUrl?: (url: string) => Promise<string>;
}

// Tests register and log in far more than a person would; the limit tests set their own.
const GENEROUS_LIMITS = {
  RATE_LIMIT_LOGIN: '100000/1m',
  RATE_LIMIT_LOGIN_IP: '100000/1m',
  RATE_LIMIT_REGISTER: '100000/1m',
  RATE_LIMIT_CREATE_ORDER: '100000/1m',
  RATE_LIMIT_DEFAULT: '100000/1m',
};

/**
 * Starts the service on a database, Redis key prefix and RabbitMQ vhost of
 * its own, or, with `shareWith`, as a second instance on another's: two
 * instances of one deployment. Only the owner drops the shared state.
 */
export async function startTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const owner = options.shareWith;
  const db = owner ? owner.db : await createTestDatabase();
  const redis = owner ? owner.redis : createTestRedis();
  const vhost = owner ? owner.vhost : await createTestVhost();
  const rabbitmqUrl = vhost.url && options.rabbitmqPort ? viaPort(vhost.url, options.rabbitmqPort) : vhost.url;
  let ownDataDir: string | undefined;
  const fullEnv: Record<string, string> = {
    ...GENEROUS_LIMITS,
    // Files the app writes (emails as .eml without SMTP_URL) stay with the test run, not in ./.data.
    DATA_DIR: owner?.env.DATA_DIR ?? env.DATA_DIR ?? (ownDataDir = mkdtempSync(join(tmpdir(), 'order-service-test-'))),
    // Tests that want a simulator turn it on; elsewhere it would move orders behind their back.
    PAYMENT_SIMULATOR: 'false',
    SHIPPING_SIMULATOR: 'false',
    // Test files run side by side against one PostgreSQL (max_connections 100 by default), some with
    // two instances: a small pool each, or a busy run fails with "too many clients".
    DATABASE_POOL_SIZE: '6',
    ...databaseSettings(db),
    ...owner?.env,
    ...(redis ? { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.keyPrefix } : {}),
    ...(rabbitmqUrl ? { RABBITMQ_URL: rabbitmqUrl } : {}),
    ...env,
  };
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: options.databaseUrl ? await options.databaseUrl(db.url) : db.url,
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
    BCRYPT_COST: '10',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    SEED_DEMO_DATA: 'true',
    ...fullEnv,
  });
  const dropOwned = async () => {
    if (owner) return;
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    await db.drop();
    await redis?.drop();
    await vhost.drop();
  };
  const logger = options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const app = await startApp(config, logger, { consumers: CONSUMERS }).catch(async (error: unknown) => {
    await dropOwned();
    throw error;
  });
  return {
    app,
    db,
    redis,
    vhost,
    env: fullEnv,
    client: new GraphQLClient(app.url),
    async stop() {
      await app.stop();
      await dropOwned();
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
  return { id: data.login.user.id, token: data.login.accessToken, client: t.client.as(data.login.accessToken) };
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
