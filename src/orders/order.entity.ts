import { randomUUID } from 'node:crypto';
import { Collection, OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../auth/index.js';
import { OrderStatus } from './status-machine.js';

@Entity({ tableName: 'orders' })
export class Order {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'version' | 'status' | 'idempotencyKey' | 'refundDueMinor';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User)
  customer!: Rel<User>;

  @Enum({ items: () => OrderStatus, nativeEnumName: 'order_status' })
  status: OrderStatus = OrderStatus.PENDING;

  @OneToMany(() => OrderItem, (item) => item.order, { orderBy: { position: 'asc' } })
  items = new Collection<OrderItem>(this);

  @Property({ type: 'string', columnType: 'char(3)' })
  currency!: string;

  /** What the customer pays: unpaid, it drops when units are cancelled; once paid, it stays what was charged. */
  @Property({ type: 'integer' })
  totalMinor!: number;

  /** What is owed back to the customer for units cancelled after payment. */
  @Property({ type: 'integer' })
  refundDueMinor: number = 0;

  @Property({ type: 'text' })
  shippingAddress!: string;

  /** Unique per customer (a composite unique index in the migration). */
  @Property({ type: 'string', length: 200, nullable: true })
  idempotencyKey: string | null = null;

  /** Optimistic concurrency: MikroORM adds `where version = ?` to every update and bumps it. */
  @Property({ type: 'integer', version: true })
  version: number = 1;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** A line as ordered (sku, price and quantity copied from the catalogue), and what became of its units. */
@Entity({ tableName: 'order_items' })
export class OrderItem {
  [OptionalProps]?: 'quantityShipped' | 'quantityDelivered' | 'quantityCancelled';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order!: Rel<Order>;

  @Property({ type: 'smallint' })
  position!: number;

  @Property({ type: 'string', length: 64 })
  sku!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'integer' })
  quantity!: number;

  @Property({ type: 'integer' })
  unitPriceMinor!: number;

  /** quantity × unit price, as ordered; cancelled units stay counted here. */
  @Property({ type: 'integer' })
  lineTotalMinor!: number;

  @Property({ type: 'integer' })
  quantityShipped: number = 0;

  /** Units of delivered shipments; never more than shipped. */
  @Property({ type: 'integer' })
  quantityDelivered: number = 0;

  /** Never more than quantity − quantityShipped: only units not shipped are cancelled. */
  @Property({ type: 'integer' })
  quantityCancelled: number = 0;
}
