import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { OrderStatus } from './status-machine.js';

/** The audit trail: one row per order event, unique by the event's id. */
@Entity({ tableName: 'order_history' })
export class OrderHistory {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', unique: true })
  eventId!: string;

  /** A plain id, not a relation: the audit trail never loads orders. */
  @Property({ type: 'uuid', index: true })
  orderId!: string;

  @Property({ type: 'string', length: 64 })
  type!: string;

  @Enum({ items: () => OrderStatus, nativeEnumName: 'order_status', nullable: true })
  fromStatus: OrderStatus | null = null;

  @Enum({ items: () => OrderStatus, nativeEnumName: 'order_status', nullable: true })
  toStatus: OrderStatus | null = null;

  @Property({ type: 'string', length: 100 })
  actor!: string;

  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  occurredAt!: Date;
}
