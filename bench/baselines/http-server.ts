// The read baselines: a plain node:http server, no framework, answering
// GET /order/<id> with the same JSON the service's `order(id)` query returns.
//   BASELINE_SOURCE=redis    one GET of a key the runner filled with that JSON
//   BASELINE_SOURCE=memory   the same from a Map (the in-process cache's floor)
//   BASELINE_SOURCE=postgres one query for the order and its items, mapped to that JSON
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import { formatMinorUnits } from '../../src/money.js';

const env = process.env;
const port = Number(env.PORT);

type Lookup = (id: string) => Promise<string | null>;

function money(minorUnits: number, currencyCode: string) {
  return { amount: formatMinorUnits(minorUnits, currencyCode), currencyCode, minorUnits };
}

const ORDER_SQL = `
  select o.id, o.status, o.version, o.created_at, o.total_minor, o.currency,
    coalesce(json_agg(json_build_array(i.sku, i.name, i.quantity, i.unit_price_minor, i.line_total_minor)
      order by i.position) filter (where i.id is not null), '[]') as items
  from orders o left join order_items i on i.order_id = o.id
  where o.id = $1
  group by o.id`;

interface OrderRow {
  id: string;
  status: string;
  version: number;
  created_at: Date;
  total_minor: number;
  currency: string;
  items: [string, string, number, number, number][];
}

function lookupFor(source: string | undefined): Lookup {
  switch (source) {
    case 'redis': {
      const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      const prefix = env.KEY_PREFIX ?? '';
      return (id) => redis.get(`${prefix}${id}`);
    }
    case 'memory': {
      const bodies = new Map(
        Object.entries(JSON.parse(readFileSync(env.BODIES_FILE ?? '', 'utf8')) as Record<string, string>),
      );
      return async (id) => bodies.get(id) ?? null;
    }
    case 'postgres': {
      const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10 });
      return async (id) => {
        const { rows } = await pool.query<OrderRow>(ORDER_SQL, [id]);
        const row = rows[0];
        if (!row) return null;
        const order = {
          id: row.id,
          status: row.status,
          version: row.version,
          createdAt: row.created_at.toISOString(),
          total: money(row.total_minor, row.currency.trim()),
          items: row.items.map(([sku, name, quantity, unit, line]) => ({
            sku,
            name,
            quantity,
            unitPrice: money(unit, row.currency.trim()),
            lineTotal: money(line, row.currency.trim()),
          })),
        };
        return JSON.stringify({ data: { order } });
      };
    }
    default:
      throw new Error(`BASELINE_SOURCE must be redis, memory or postgres; got ${source}`);
  }
}

const lookup = lookupFor(env.BASELINE_SOURCE);

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

createServer((req, res) => {
  const url = req.url ?? '';
  if (url === '/healthz') return reply(res, 200, '{"status":"ok"}');
  const id = /^\/order\/([\w-]+)$/.exec(url)?.[1];
  if (!id) return reply(res, 404, '{"error":"not found"}');
  lookup(id).then(
    (body) => (body === null ? reply(res, 404, '{"error":"no such order"}') : reply(res, 200, body)),
    (error: unknown) => reply(res, 500, JSON.stringify({ error: String(error) })),
  );
}).listen(port, '127.0.0.1');
