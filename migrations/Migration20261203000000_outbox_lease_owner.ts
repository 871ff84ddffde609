import { Migration } from '@mikro-orm/migrations';

/**
 * Outbox leases name their relay: a relay renews, releases and reports only
 * the leases it holds itself, so a lease that expired and was taken over by
 * another relay is left to that relay. Leases are short and renewed while
 * held (see src/outbox/relay.ts), so a killed relay's rows are free again
 * within seconds.
 */
export class Migration20261203000000_outbox_lease_owner extends Migration {
  override name = 'Migration20261203000000_outbox_lease_owner';

  override up(): void {
    this.addSql(`alter table outbox add column locked_by uuid null;`);
  }

  override down(): void {
    this.addSql(`alter table outbox drop column if exists locked_by;`);
  }
}
