import { Migration } from '@mikro-orm/migrations';

/**
 * Notifications (SPEC section 11): in-app notifications, email preferences,
 * webhook endpoints, and the durable deliveries (one row per event, channel
 * and recipient or endpoint) that the dispatchers send with retries, with
 * every attempt recorded.
 */
export class Migration20261202000000_notifications extends Migration {
  override name = 'Migration20261202000000_notifications';

  override up(): void {
    this.addSql(`create table notifications (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      order_id uuid not null,
      event_id uuid not null,
      type varchar(64) not null,
      title varchar(200) not null,
      body text not null,
      created_at timestamptz(3) not null,
      read_at timestamptz(3) null,
      constraint notifications_event_user_unique unique (event_id, user_id)
    );`);
    this.addSql(
      `create index notifications_user_created_at_index on notifications (user_id, created_at desc, id desc);`,
    );
    this.addSql(`create index notifications_user_unread_index on notifications (user_id) where read_at is null;`);

    this.addSql(`create table notification_preferences (
      user_id uuid primary key references users (id) on delete cascade,
      email boolean not null default true,
      updated_at timestamptz(3) not null default now()
    );`);

    this.addSql(`create table webhook_endpoints (
      id uuid primary key,
      url text not null,
      event_types text[] not null,
      secret varchar(100) not null,
      enabled boolean not null default true,
      disabled_reason text null,
      created_by uuid null,
      created_at timestamptz(3) not null default now()
    );`);

    this.addSql(`create table notification_deliveries (
      id uuid primary key,
      event_id uuid not null,
      event_type varchar(64) not null,
      order_id uuid not null,
      channel varchar(16) not null check (channel in ('EMAIL', 'WEBHOOK')),
      user_id uuid null references users (id) on delete cascade,
      endpoint_id uuid null references webhook_endpoints (id) on delete cascade,
      payload jsonb null,
      body text null,
      status varchar(16) not null default 'pending' check (status in ('pending', 'sent', 'failed')),
      attempts integer not null default 0,
      next_attempt_at timestamptz(3) not null default now(),
      locked_until timestamptz(3) null,
      last_error text null,
      correlation_id varchar(100) null,
      created_at timestamptz(3) not null default now(),
      sent_at timestamptz(3) null,
      failed_at timestamptz(3) null,
      constraint notification_deliveries_recipient check (
        (channel = 'EMAIL' and user_id is not null and endpoint_id is null and payload is not null)
        or (channel = 'WEBHOOK' and endpoint_id is not null and user_id is null and body is not null)
      )
    );`);
    // Exactly one delivery per (event, channel, recipient or endpoint), however often the event arrives.
    this.addSql(
      `create unique index notification_deliveries_once_index on notification_deliveries (event_id, channel, (coalesce(endpoint_id, user_id)));`,
    );
    this.addSql(
      `create index notification_deliveries_due_index on notification_deliveries (channel, next_attempt_at) where status = 'pending';`,
    );
    this.addSql(
      `create index notification_deliveries_endpoint_index on notification_deliveries (endpoint_id, status) where endpoint_id is not null;`,
    );

    this.addSql(`create table notification_delivery_attempts (
      id uuid primary key,
      delivery_id uuid not null references notification_deliveries (id) on delete cascade,
      attempt integer not null,
      status_code integer null,
      error text null,
      succeeded boolean not null,
      attempted_at timestamptz(3) not null,
      duration_ms integer not null
    );`);
    this.addSql(
      `create index notification_delivery_attempts_delivery_index on notification_delivery_attempts (delivery_id, attempted_at desc);`,
    );
  }

  override down(): void {
    for (const table of [
      'notification_delivery_attempts',
      'notification_deliveries',
      'webhook_endpoints',
      'notification_preferences',
      'notifications',
    ]) {
      this.addSql(`drop table if exists ${table};`);
    }
  }
}
