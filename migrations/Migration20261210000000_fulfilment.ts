import { Migration } from '@mikro-orm/migrations';

/**
 * Fulfilment (SPEC section 10): what became of each line's units (shipped,
 * delivered, cancelled), what is owed back on each order, shipments, and the
 * deliveries that arrive before their shipment. Existing orders stay correct:
 * a SHIPPED or DELIVERED order gets one shipment holding all its lines, and a
 * CANCELLED one has every unit cancelled (owed back its total when it had
 * been paid).
 *
 * `alter type ... add value` may run inside the migration's transaction, but
 * the new value cannot be used before that transaction commits: nothing here
 * (nor in any migration applied in the same run) may name PARTIALLY_SHIPPED.
 */
export class Migration20261210000000_fulfilment extends Migration {
  override name = 'Migration20261210000000_fulfilment';

  override up(): void {
    this.addSql(`alter type order_status add value if not exists 'PARTIALLY_SHIPPED' after 'PAYMENT_FAILED';`);
    this.addSql(
      `alter table orders add column refund_due_minor integer not null default 0 check (refund_due_minor >= 0);`,
    );
    this.addSql(`alter table order_items
      add column quantity_shipped integer not null default 0,
      add column quantity_delivered integer not null default 0,
      add column quantity_cancelled integer not null default 0;`);
    this.addSql(`alter table order_items add constraint order_items_units check (
      quantity_shipped >= 0 and quantity_cancelled >= 0 and quantity_delivered >= 0
      and quantity_delivered <= quantity_shipped
      and quantity_shipped + quantity_cancelled <= quantity
    );`);

    this.addSql(`create table shipments (
      id varchar(200) primary key,
      order_id uuid not null references orders (id) on delete cascade,
      status varchar(16) not null check (status in ('SHIPPED', 'DELIVERED')),
      lines jsonb not null,
      carrier varchar(100) null,
      tracking_number varchar(200) null,
      shipped_at timestamptz(3) not null,
      delivered_at timestamptz(3) null,
      constraint shipments_delivered_at check ((status = 'DELIVERED') = (delivered_at is not null))
    );`);
    this.addSql(`create index shipments_order_id_index on shipments (order_id, shipped_at, id);`);

    this.addSql(`create table early_deliveries (
      order_id uuid not null references orders (id) on delete cascade,
      shipment_id varchar(200) not null,
      message_id varchar(100) not null,
      received_at timestamptz(3) not null default now(),
      primary key (order_id, shipment_id)
    );`);

    // Orders shipped before shipments existed: one shipment with every line, at the time the audit
    // trail (or else the change feed) says they moved, or their last update.
    this.addSql(`insert into shipments (id, order_id, status, lines, shipped_at, delivered_at)
      select gen_random_uuid()::text, o.id,
             case when o.status = 'DELIVERED' then 'DELIVERED' else 'SHIPPED' end,
             (select jsonb_agg(jsonb_build_object('sku', i.sku, 'quantity', i.quantity) order by i.position)
                from order_items i where i.order_id = o.id),
             coalesce(
               (select min(h.occurred_at) from order_history h where h.order_id = o.id and h.to_status = 'SHIPPED'),
               (select min(c.changed_at) from order_changes c where c.order_id = o.id and c.to_status = 'SHIPPED'),
               o.updated_at),
             case when o.status = 'DELIVERED' then coalesce(
               (select min(h.occurred_at) from order_history h where h.order_id = o.id and h.to_status = 'DELIVERED'),
               (select min(c.changed_at) from order_changes c where c.order_id = o.id and c.to_status = 'DELIVERED'),
               o.updated_at) end
        from orders o where o.status in ('SHIPPED', 'DELIVERED');`);
    this.addSql(`update order_items i set quantity_shipped = i.quantity,
        quantity_delivered = case when o.status = 'DELIVERED' then i.quantity else 0 end
      from orders o where o.id = i.order_id and o.status in ('SHIPPED', 'DELIVERED');`);

    // Cancelled orders: every unit cancelled; a paid one is owed its total.
    this.addSql(`update order_items i set quantity_cancelled = i.quantity
      from orders o where o.id = i.order_id and o.status = 'CANCELLED';`);
    this.addSql(`update orders o set refund_due_minor = o.total_minor
      where o.status = 'CANCELLED' and (
        exists (select 1 from order_history h
                 where h.order_id = o.id and h.to_status = 'CANCELLED' and h.from_status = 'PAID')
        or exists (select 1 from order_changes c
                    where c.order_id = o.id and c.to_status = 'CANCELLED' and c.from_status = 'PAID'));`);
  }

  override down(): void {
    // PostgreSQL cannot drop an enum value; PARTIALLY_SHIPPED stays in the type (unused once the code is older).
    this.addSql(`drop table if exists early_deliveries;`);
    this.addSql(`drop table if exists shipments;`);
    this.addSql(`alter table order_items drop constraint if exists order_items_units;`);
    this.addSql(`alter table order_items
      drop column if exists quantity_shipped,
      drop column if exists quantity_delivered,
      drop column if exists quantity_cancelled;`);
    this.addSql(`alter table orders drop column if exists refund_due_minor;`);
  }
}
