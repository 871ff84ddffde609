import { Migration } from '@mikro-orm/migrations';

/**
 * Outbox leases: a relay claims rows in one short statement by setting
 * `locked_until`, publishes without holding a transaction (PGlite serves one
 * transaction at a time), then marks them sent. `last_error` tells an
 * operator why a row is still pending.
 */
export class Migration20261123000000_outbox_lease extends Migration {
  override name = 'Migration20261123000000_outbox_lease';

  override up(): void {
    this.addSql(`alter table outbox add column locked_until timestamptz(3) null;`);
    this.addSql(`alter table outbox add column last_error text null;`);
    this.addSql(`create index outbox_pending_aggregate_index on outbox (aggregate_id, seq) where sent_at is null;`);
  }

  override down(): void {
    this.addSql(`drop index if exists outbox_pending_aggregate_index;`);
    this.addSql(`alter table outbox drop column if exists last_error;`);
    this.addSql(`alter table outbox drop column if exists locked_until;`);
  }
}
