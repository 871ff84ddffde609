// The run's PostgreSQL database, RabbitMQ vhost and Redis key prefix, with a
// seeded catalogue and accounts, shared by the scenarios on real services.
import { Redis } from 'ioredis';
import { createDatabase, createVhost, withClient, type BenchContext } from './infra.js';
import { loginAdmin, registerCustomers, startService, type Account } from './service.js';
import { BENCH_PRICE_MINOR, BENCH_STOCK, benchSku } from './skus.js';

export const SKU_COUNT = 64;
export const CUSTOMERS = 64;

export interface Accounts {
  customers: Account[];
  admin: Account;
}

export interface RealServices extends Accounts {
  databaseUrl: string;
  redisUrl: string;
  rabbitmqUrl: string;
  redisPrefix: string;
  /** The service environment pointing at all three. */
  env: Record<string, string>;
}

/** The bench catalogue: SKU_COUNT products whose stock never runs out. */
export async function seedProducts(exec: (sql: string) => Promise<unknown>): Promise<void> {
  const rows = Array.from(
    { length: SKU_COUNT },
    (_, i) => `('${benchSku(i + 1)}', 'Bench product ${i + 1}', ${BENCH_PRICE_MINOR}, 'EUR', ${BENCH_STOCK})`,
  );
  await exec(
    `insert into products (sku, name, price_minor, currency, stock) values ${rows.join(', ')}
     on conflict (sku) do update set stock = excluded.stock`,
  );
}

/**
 * `count` orders of `customerId`, two items each, written straight into the
 * tables: the ids that read scenarios use, never read before (so never cached).
 */
export async function seedOrders(
  exec: (sql: string) => Promise<{ rows: { id: string }[] }>,
  customerId: string,
  count: number,
): Promise<string[]> {
  const { rows } = await exec(`
    with new_orders as (
      insert into orders (id, customer_id, status, currency, total_minor, shipping_address, version, created_at, updated_at)
      select gen_random_uuid(), '${customerId}', 'PENDING', 'EUR', ${2 * BENCH_PRICE_MINOR}, '1 Benchmark Road, Testville', 1, now(), now()
      from generate_series(1, ${count})
      returning id
    ), items as (
      insert into order_items (id, order_id, position, sku, name, quantity, unit_price_minor, line_total_minor)
      select gen_random_uuid(), o.id, p.position, p.sku, p.name, 1, ${BENCH_PRICE_MINOR}, ${BENCH_PRICE_MINOR}
      from new_orders o cross join (values (0, '${benchSku(1)}', 'Bench product 1'), (1, '${benchSku(SKU_COUNT)}', 'Bench product ${SKU_COUNT}')) as p(position, sku, name)
    )
    select id from new_orders`);
  return rows.map((r) => r.id);
}

export async function prepareRealServices(ctx: BenchContext): Promise<RealServices> {
  const name = ctx.runId;
  const databaseUrl = await createDatabase(ctx, name);
  const rabbitmqUrl = await createVhost(ctx, name);
  const redisPrefix = `${name}:`;
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: ctx.redisUrl,
    // Honoured by a service that namespaces its keys; teardown also removes the order keys it wrote without one.
    REDIS_KEY_PREFIX: redisPrefix,
    RABBITMQ_URL: rabbitmqUrl,
  };
  ctx.cleanups.push(() => removeRedisKeys(ctx.redisUrl, redisPrefix, databaseUrl));
  // One short-lived instance applies the migrations and makes the accounts; scenarios start their own.
  const setup = await startService(ctx, 'setup', env);
  try {
    await withClient(databaseUrl, (c) => seedProducts((sql) => c.query(sql)));
    const customers = await registerCustomers(setup.url, CUSTOMERS);
    const admin = await loginAdmin(setup.url);
    return { databaseUrl, redisUrl: ctx.redisUrl, rabbitmqUrl, redisPrefix, env, customers, admin };
  } finally {
    await setup.child.stop();
  }
}

/** Deletes the run's prefixed keys and any `order:{id}` key of one of the run's orders. */
async function removeRedisKeys(redisUrl: string, prefix: string, databaseUrl: string): Promise<void> {
  const ids = new Set(
    await withClient(databaseUrl, async (c) =>
      (await c.query<{ id: string }>('select id from orders')).rows.map((r) => r.id),
    ),
  );
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    for (const pattern of [`${prefix}*`, '*order:*']) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        const ours = keys.filter((key) => key.startsWith(prefix) || ids.has(key.slice(key.lastIndexOf(':') + 1)));
        if (ours.length > 0) await redis.del(...ours);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
