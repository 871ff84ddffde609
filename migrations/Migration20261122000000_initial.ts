import { Migration } from '@mikro-orm/migrations';

/** Users, refresh tokens, catalogue, orders with items and history, outbox and inbox. */
export class Migration20261122000000_initial extends Migration {
  override name = 'Migration20261122000000_initial';

  override up(): void {
    this.addSql(`create type user_role as enum ('CUSTOMER', 'ADMIN');`);
    this.addSql(
      `create type order_status as enum ('PENDING', 'PAID', 'PAYMENT_FAILED', 'SHIPPED', 'DELIVERED', 'CANCELLED');`,
    );
    this.addSql(`create table users (
      id uuid primary key,
      email varchar(254) not null,
      password_hash varchar(100) not null,
      role user_role not null default 'CUSTOMER',
      created_at timestamptz(3) not null default now(),
      constraint users_email_unique unique (email),
      constraint users_email_lower check (email = lower(email))
    );`);
    this.addSql(`create table refresh_tokens (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      token_hash varchar(64) not null,
      family_id uuid not null,
      expires_at timestamptz(3) not null,
      used_at timestamptz(3) null,
      revoked_at timestamptz(3) null,
      created_at timestamptz(3) not null default now(),
      constraint refresh_tokens_token_hash_unique unique (token_hash)
    );`);
    this.addSql(`create index refresh_tokens_family_id_index on refresh_tokens (family_id);`);
    this.addSql(`create table products (
      sku varchar(64) primary key,
      name varchar(200) not null,
      price_minor integer not null check (price_minor >= 0),
      currency char(3) not null,
      stock integer not null check (stock >= 0)
    );`);
    this.addSql(`create table orders (
      id uuid primary key,
      customer_id uuid not null references users (id),
      status order_status not null default 'PENDING',
      currency char(3) not null,
      total_minor integer not null check (total_minor >= 0),
      shipping_address text not null,
      idempotency_key varchar(200) null,
      version integer not null default 1,
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz(3) not null default now(),
      constraint orders_customer_idempotency_key_unique unique (customer_id, idempotency_key)
    );`);
    this.addSql(`create index orders_created_at_id_index on orders (created_at desc, id desc);`);
    this.addSql(`create index orders_customer_created_at_index on orders (customer_id, created_at desc, id desc);`);
    this.addSql(`create index orders_status_created_at_index on orders (status, created_at desc, id desc);`);
    this.addSql(`create table order_items (
      id uuid primary key,
      order_id uuid not null references orders (id) on delete cascade,
      position smallint not null,
      sku varchar(64) not null,
      name varchar(200) not null,
      quantity integer not null check (quantity between 1 and 1000),
      unit_price_minor integer not null check (unit_price_minor >= 0),
      line_total_minor integer not null check (line_total_minor >= 0)
    );`);
    this.addSql(`create index order_items_order_id_index on order_items (order_id, position);`);
    this.addSql(`create table order_history (
      id uuid primary key,
      event_id uuid not null,
      order_id uuid not null,
      type varchar(64) not null,
      from_status order_status null,
      to_status order_status null,
      actor varchar(100) not null,
      reason text null,
      occurred_at timestamptz(3) not null,
      constraint order_history_event_id_unique unique (event_id)
    );`);
    this.addSql(`create index order_history_order_id_index on order_history (order_id, occurred_at);`);
    this.addSql(`create table outbox (
      id uuid primary key,
      seq bigint generated always as identity,
      aggregate_id uuid not null,
      type varchar(64) not null,
      envelope jsonb not null,
      correlation_id varchar(100) null,
      created_at timestamptz(3) not null default now(),
      sent_at timestamptz(3) null,
      attempts integer not null default 0
    );`);
    this.addSql(`create index outbox_aggregate_id_index on outbox (aggregate_id);`);
    this.addSql(`create index outbox_pending_index on outbox (seq) where sent_at is null;`);
    this.addSql(`create table processed_messages (
      consumer varchar(100) not null,
      message_id varchar(100) not null,
      processed_at timestamptz(3) not null default now(),
      primary key (consumer, message_id)
    );`);
  }

  override down(): void {
    for (const table of ['processed_messages', 'outbox', 'order_history', 'order_items', 'orders', 'products']) {
      this.addSql(`drop table if exists ${table};`);
    }
    this.addSql(`drop table if exists refresh_tokens;`);
    this.addSql(`drop table if exists users;`);
    this.addSql(`drop type if exists order_status;`);
    this.addSql(`drop type if exists user_role;`);
  }
}
