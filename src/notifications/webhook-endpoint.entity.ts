import { randomUUID } from 'node:crypto';
import { ArrayType, OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** A partner system's URL that receives order events, signed with its own secret (Standard Webhooks). */
@Entity({ tableName: 'webhook_endpoints' })
export class WebhookEndpoint {
  [OptionalProps]?: 'enabled' | 'disabledReason' | 'createdAt' | 'createdBy';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  url!: string;

  /** Routing keys (`order.created`, ...) or `*` for every order event. */
  @Property({ type: ArrayType, columnType: 'text[]' })
  eventTypes!: string[];

  /** `whsec_` + base64; shown once at creation, kept to sign every delivery. */
  @Property({ type: 'string', length: 100, hidden: true })
  secret!: string;

  @Property({ type: 'boolean' })
  enabled: boolean = true;

  /** Why the dispatcher disabled it (deliveries kept failing); null while enabled. */
  @Property({ type: 'text', nullable: true })
  disabledReason: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  createdBy: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
