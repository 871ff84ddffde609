import { Migration } from '@mikro-orm/migrations';

/**
 * The change feed: one row per order change that bumped the order's version,
 * written in the transaction of the change. Live subscribers are fed from it
 * and resume from it (docs/live.md): rows are read in (txid, position) order,
 * and only once every transaction that could still add a row before them has
 * ended. `live_feed_horizon` remembers the newest row pruned, so a cursor
 * older than what is kept is refused instead of silently skipping changes.
 */
export class Migration20261201000000_change_feed extends Migration {
  override name = 'Migration20261201000000_change_feed';

  override up(): void {
    this.addSql(`create table order_changes (
      position bigint generated always as identity primary key,
      txid xid8 not null default pg_current_xact_id(),
      event_id uuid not null,
      order_id uuid not null,
      customer_id uuid not null,
      version integer not null,
      from_status order_status not null,
      to_status order_status not null,
      actor varchar(100) not null,
      changed_at timestamptz(3) not null,
      constraint order_changes_event_unique unique (event_id),
      constraint order_changes_order_version_unique unique (order_id, version)
    );`);
    this.addSql(`create index order_changes_feed_index on order_changes (txid, position);`);
    this.addSql(`create index order_changes_customer_index on order_changes (customer_id, txid, position);`);
    this.addSql(`create index order_changes_changed_at_index on order_changes (changed_at);`);
    this.addSql(`create table live_feed_horizon (
      id smallint primary key default 1 check (id = 1),
      txid xid8 not null default '0',
      position bigint not null default 0
    );`);
    this.addSql(`insert into live_feed_horizon default values;`);
  }

  override down(): void {
    this.addSql(`drop table if exists live_feed_horizon;`);
    this.addSql(`drop table if exists order_changes;`);
  }
}
