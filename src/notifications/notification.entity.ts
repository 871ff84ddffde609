import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** An in-app notification: one per event and recipient (unique), read by its recipient only. */
@Entity({ tableName: 'notifications' })
export class Notification {
  [OptionalProps]?: 'readAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'uuid' })
  orderId!: string;

  /** The order event this tells about. */
  @Property({ type: 'uuid' })
  eventId!: string;

  /** What happened, e.g. ORDER_PLACED (see NotificationKind). */
  @Property({ type: 'string', length: 64 })
  type!: string;

  @Property({ type: 'string', length: 200 })
  title!: string;

  @Property({ type: 'text' })
  body!: string;

  /** When the event happened, so the list reads in the order things happened. */
  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  createdAt!: Date;

  @Property({ type: 'Date', columnType: 'timestamptz(3)', nullable: true })
  readAt: Date | null = null;
}

/** A customer's choices; no row means the defaults (email on). */
@Entity({ tableName: 'notification_preferences' })
export class NotificationPreference {
  [OptionalProps]?: 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'boolean' })
  email: boolean = true;

  @Property({ type: 'Date', columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
