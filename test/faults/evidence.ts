// Reads what the system holds after a scenario, straight from PostgreSQL and
// RabbitMQ (never through the proxies the nemesis cuts), in the shapes the
// checker takes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import type { FeedChange, HistoryRow, StockLevel, StoredOrder } from './checker.js';

const run = promisify(execFile);

export class Evidence {
  private constructor(
    private readonly client: pg.Client,
    private readonly vhostName: string,
  ) {}

  static async open(databaseUrl: string, vhostUrl: string): Promise<Evidence> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    return new Evidence(client, decodeURIComponent(new URL(vhostUrl).pathname.slice(1)));
  }

  close(): Promise<void> {
    return this.client.end();
  }

  query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return this.client.query<R>(text, values).then((r) => r.rows);
  }

  /** Orders whose idempotency key starts with the scenario's prefix. */
  async orders(scenario: string): Promise<StoredOrder[]> {
    const rows = await this.query<{
      id: string;
      customer_id: string;
      idempotency_key: string;
      status: string;
      version: number;
    }>(`select id, customer_id, idempotency_key, status, version from orders where idempotency_key like $1`, [
      `${scenario}:%`,
    ]);
    return rows.map((r) => ({
      id: r.id,
      customerId: r.customer_id,
      idempotencyKey: r.idempotency_key,
      status: r.status,
      version: r.version,
    }));
  }

  async history(orderIds: readonly string[]): Promise<HistoryRow[]> {
    const rows = await this.query<{
      order_id: string;
      type: string;
      from_status: string | null;
      to_status: string | null;
    }>(`select order_id, type, from_status, to_status from order_history where order_id = any($1::uuid[])`, [orderIds]);
    return rows.map((r) => ({ orderId: r.order_id, type: r.type, fromStatus: r.from_status, toStatus: r.to_status }));
  }

  async changes(orderIds: readonly string[]): Promise<FeedChange[]> {
    const rows = await this.query<{ order_id: string; version: number; from_status: string; to_status: string }>(
      `select order_id, version, from_status, to_status from order_changes where order_id = any($1::uuid[]) order by order_id, version`,
      [orderIds],
    );
    return rows.map((r) => ({
      orderId: r.order_id,
      version: r.version,
      fromStatus: r.from_status,
      toStatus: r.to_status,
    }));
  }

  async stock(initial: ReadonlyMap<string, number>): Promise<StockLevel[]> {
    const rows = await this.query<{ sku: string; stock: number; ordered: string | null }>(
      `select p.sku, p.stock, (select sum(i.quantity) from order_items i where i.sku = p.sku) as ordered
         from products p where p.sku = any($1::text[]) order by p.sku`,
      [[...initial.keys()]],
    );
    return rows.map((r) => ({
      sku: r.sku,
      initial: initial.get(r.sku)!,
      final: r.stock,
      ordered: Number(r.ordered ?? 0),
    }));
  }

  async outboxUnsent(): Promise<number> {
    const [row] = await this.query<{ n: string }>(`select count(*) as n from outbox where sent_at is null`);
    return Number(row?.n ?? 0);
  }

  /** Messages (ready and unacknowledged) in every `.dlq` of the run's vhost. */
  async deadLetters(): Promise<Record<string, number>> {
    const { stdout } = await run('rabbitmqctl', [
      '-q',
      'list_queues',
      '-p',
      this.vhostName,
      'name',
      'messages',
      '--no-table-headers',
    ]);
    const counts: Record<string, number> = {};
    for (const line of stdout.split('\n')) {
      const [name, messages] = line.trim().split(/\s+/);
      if (name?.endsWith('.dlq')) counts[name] = Number(messages);
    }
    return counts;
  }
}
