// The change feed: every order change that bumped an order's version, in a
// table written by the change's own transaction (so it is as durable as the
// change), read back in one total order that later commits can never slip
// into. Live subscribers are fed from it and resume from it (docs/live.md).
//
// Why (txid, position) and the xmin gate: `position` comes from a sequence,
// taken before commit, so a row with a lower position can commit after one
// with a higher position; a reader that remembered "up to position N" would
// skip it. Instead rows are ordered by (the writing transaction's id,
// position) and a reader only takes rows whose transaction is older than
// every transaction still running (pg_snapshot_xmin): any row that appears
// later belongs to a transaction that was still running, so its txid, and
// its place in the order, is above everything already read.
// Per order, that order agrees with versions because every transaction that
// changes an order locks the order row before anything else (it gets its txid
// there, after the holder of the lock got its own).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.js';
import { BadInputError } from '../errors.js';
import type { AnyOrderEvent, OrderEventFacts } from './order-events.js';
import type { OrderStatus } from './status-machine.js';

/** A place in the feed. Both parts are unsigned 64-bit integers, kept as decimal strings. */
export interface FeedKey {
  txid: string;
  position: string;
}

export const FEED_START: FeedKey = { txid: '0', position: '0' };

export function compareKeys(a: FeedKey, b: FeedKey): number {
  const t = BigInt(a.txid) - BigInt(b.txid);
  if (t !== 0n) return t < 0n ? -1 : 1;
  const p = BigInt(a.position) - BigInt(b.position);
  return p === 0n ? 0 : p < 0n ? -1 : 1;
}

/** One change as subscribers are told about it; `cursor` resumes right after it. */
export interface OrderChange {
  key: FeedKey;
  cursor: string;
  eventId: string;
  orderId: string;
  customerId: string;
  /** The order's version after this change. */
  version: number;
  /** Equal to `status` when the change did not move the status (a shipment, a cancelled line). */
  previousStatus: OrderStatus;
  status: OrderStatus;
  actor: string;
  changedAt: Date;
}

const CURSOR_PREFIX = 'oc1';

export function encodeFeedCursor(key: FeedKey): string {
  return Buffer.from(`${CURSOR_PREFIX}:${key.txid}:${key.position}`, 'utf8').toString('base64url');
}

/** The key a cursor names; BAD_USER_INPUT when it is not a cursor of this feed. */
export function decodeFeedCursor(raw: string, field = 'after'): FeedKey {
  const parts = Buffer.from(raw, 'base64url').toString('utf8').split(':');
  const [prefix, txid, position] = parts;
  const number = /^(0|[1-9]\d{0,19})$/;
  if (
    parts.length !== 3 ||
    prefix !== CURSOR_PREFIX ||
    !txid ||
    !position ||
    !number.test(txid) ||
    !number.test(position) ||
    BigInt(txid) >= 2n ** 64n ||
    BigInt(position) >= 2n ** 63n ||
    Buffer.from(`${prefix}:${txid}:${position}`, 'utf8').toString('base64url') !== raw
  ) {
    throw new BadInputError(`${field} is not a cursor of orderStatusChanged`, field);
  }
  return { txid, position };
}

/** Which changes a read returns: one order's, one customer's, or all. */
export type FeedScope = { orderId: string } | { customerId: string } | { all: true };

interface ChangeRow {
  txid: string;
  position: string;
  event_id: string;
  order_id: string;
  customer_id: string;
  version: number;
  from_status: OrderStatus;
  to_status: OrderStatus;
  actor: string;
  changed_at: Date | string;
}

function changeOf(row: ChangeRow): OrderChange {
  const key = { txid: String(row.txid), position: String(row.position) };
  return {
    key,
    cursor: encodeFeedCursor(key),
    eventId: row.event_id,
    orderId: row.order_id,
    customerId: row.customer_id,
    version: row.version,
    previousStatus: row.from_status,
    status: row.to_status,
    actor: row.actor,
    changedAt: new Date(row.changed_at),
  };
}

/**
 * Writes the feed rows of `events` in the caller's transaction: one per
 * change, i.e. per version of an order (the events of one change share its
 * version and its from and to status), none for an order's creation. The row
 * is the change's last event: when the status moved, the status event, so a
 * change and its status move in the history have the same instant.
 */
export async function recordChanges(tx: EntityManager, events: readonly AnyOrderEvent[]): Promise<void> {
  const lastOfChange = new Map<string, OrderEventFacts>();
  for (const facts of events.map((event) => event.facts())) {
    if (facts.fromStatus !== null) lastOfChange.set(`${facts.orderId}:${facts.version}`, facts);
  }
  const rows = [...lastOfChange.values()].map((facts) => ({
    event_id: facts.eventId,
    order_id: facts.orderId,
    customer_id: facts.customerId,
    version: facts.version,
    from_status: facts.fromStatus,
    to_status: facts.toStatus,
    actor: facts.actor,
    changed_at: facts.occurredAt.toISOString(),
  }));
  if (rows.length === 0) return;
  await tx.execute(
    `insert into order_changes (event_id, order_id, customer_id, version, from_status, to_status, actor, changed_at)
     select event_id, order_id, customer_id, version, from_status::order_status, to_status::order_status, actor, changed_at
       from jsonb_to_recordset(?::jsonb) as r(event_id uuid, order_id uuid, customer_id uuid, version int,
            from_status text, to_status text, actor text, changed_at timestamptz)`,
    [JSON.stringify(rows)],
  );
}

export class ChangeFeed {
  constructor(private readonly orm: Orm) {}

  /**
   * Changes after `after` (and up to `upTo`, when given) within `scope`, in
   * feed order, among those no running transaction can still precede.
   * Always from the primary: a replica's snapshot lags.
   */
  async read(options: { after: FeedKey; upTo?: FeedKey; scope: FeedScope; limit: number }): Promise<OrderChange[]> {
    const { after, upTo, scope, limit } = options;
    const conditions = [
      '(c.txid, c.position) > (?::xid8, ?::bigint)',
      'c.txid < pg_snapshot_xmin(pg_current_snapshot())',
    ];
    const params: unknown[] = [after.txid, after.position];
    if (upTo) {
      conditions.push('(c.txid, c.position) <= (?::xid8, ?::bigint)');
      params.push(upTo.txid, upTo.position);
    }
    if ('orderId' in scope) {
      conditions.push('c.order_id = ?');
      params.push(scope.orderId);
    } else if ('customerId' in scope) {
      conditions.push('c.customer_id = ?');
      params.push(scope.customerId);
    }
    params.push(limit);
    const rows = await this.primary().execute<ChangeRow[]>(
      `select c.txid::text as txid, c.position::text as position, c.event_id, c.order_id, c.customer_id, c.version,
              c.from_status, c.to_status, c.actor, c.changed_at
         from order_changes c
        where ${conditions.join(' and ')}
        order by c.txid, c.position
        limit ?`,
      params,
    );
    return rows.map(changeOf);
  }

  /** The newest key a reader may take now: a tail starting here misses nothing that commits later. */
  async head(): Promise<FeedKey> {
    const [row] = await this.primary().execute<{ txid: string; position: string }[]>(
      `select k.txid::text as txid, k.position::text as position from (
         (select c.txid, c.position from order_changes c
           where c.txid < pg_snapshot_xmin(pg_current_snapshot())
           order by c.txid desc, c.position desc limit 1)
         union all (select h.txid, h.position from live_feed_horizon h)
       ) k order by k.txid desc, k.position desc limit 1`,
    );
    return row ? { txid: String(row.txid), position: String(row.position) } : FEED_START;
  }

  /**
   * A cursor is refused when the rows after it may have been pruned (older
   * than LIVE_RETENTION), or when it names a transaction this database has
   * not reached (it was never issued here).
   */
  async assertResumable(key: FeedKey, field = 'after'): Promise<void> {
    const [row] = await this.primary().execute<{ too_old: boolean; from_elsewhere: boolean }[]>(
      `select (?::xid8, ?::bigint) < (h.txid, h.position) as too_old,
              ?::xid8 >= pg_snapshot_xmax(pg_current_snapshot()) as from_elsewhere
         from live_feed_horizon h`,
      [key.txid, key.position, key.txid],
    );
    if (row?.from_elsewhere) throw new BadInputError(`${field} is not a cursor of orderStatusChanged`, field);
    if (row?.too_old) {
      throw new BadInputError(
        `${field} is older than the changes this service keeps: load the order again and subscribe without it`,
        field,
      );
    }
  }

  /** Deletes changes older than `retentionMs` and moves the horizon past them; returns how many went. */
  async prune(retentionMs: number, batch = 5_000): Promise<number> {
    const [row] = await this.primary().execute<{ deleted: number }[]>(
      `with gone as (
         delete from order_changes where position in (
           select position from order_changes where changed_at < now() - (? * interval '1 millisecond')
            order by position limit ?)
         returning txid, position),
       newest as (select txid, position from gone order by txid desc, position desc limit 1),
       moved as (
         update live_feed_horizon h set txid = n.txid, position = n.position
           from newest n where (n.txid, n.position) > (h.txid, h.position))
       select count(*)::int as deleted from gone`,
      [retentionMs, batch],
    );
    return row?.deleted ?? 0;
  }

  private primary() {
    return this.orm.em.getConnection('write');
  }
}
