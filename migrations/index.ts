// Every migration, in order. Listed explicitly so the same list runs from the
// compiled build, from tests and from `npm run migrate`.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000000_initial } from './Migration20261122000000_initial.js';
import { Migration20261123000000_outbox_lease } from './Migration20261123000000_outbox_lease.js';
import { Migration20261201000000_change_feed } from './Migration20261201000000_change_feed.js';
import { Migration20261202000000_notifications } from './Migration20261202000000_notifications.js';
import { Migration20261203000000_outbox_lease_owner } from './Migration20261203000000_outbox_lease_owner.js';
import { Migration20261210000000_fulfilment } from './Migration20261210000000_fulfilment.js';

export const migrations: MigrationObject[] = [
  { name: 'Migration20261122000000_initial', class: Migration20261122000000_initial },
  { name: 'Migration20261123000000_outbox_lease', class: Migration20261123000000_outbox_lease },
  { name: 'Migration20261201000000_change_feed', class: Migration20261201000000_change_feed },
  { name: 'Migration20261202000000_notifications', class: Migration20261202000000_notifications },
  { name: 'Migration20261203000000_outbox_lease_owner', class: Migration20261203000000_outbox_lease_owner },
  { name: 'Migration20261210000000_fulfilment', class: Migration20261210000000_fulfilment },
];
