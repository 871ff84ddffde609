// The GraphQL object and input types of orders (SPEC section 5), in one file
// so the SDL they emit is read in one place; long for that reason.
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ShipmentLineInput, ShipmentType } from '../fulfilment/index.js';
import { MoneyType } from '../graphql/money.type.js';
import type { OrderHistory } from './order-history.entity.js';
import { ItemStatus } from './order-lines.js';
import type { OrderSnapshot } from './order-snapshot.js';
import { OrderStatus } from './status-machine.js';

registerEnumType(OrderStatus, { name: 'OrderStatus' });
registerEnumType(ItemStatus, { name: 'ItemStatus', description: 'Where a line’s units are, from its quantities.' });

@ObjectType('OrderItem')
export class OrderItemType {
  @Field()
  sku!: string;

  @Field()
  name!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => MoneyType)
  unitPrice!: MoneyType;

  @Field(() => MoneyType, { description: 'quantity × unitPrice, as ordered.' })
  lineTotal!: MoneyType;

  @Field(() => ItemStatus)
  status!: ItemStatus;

  @Field(() => Int)
  quantityShipped!: number;

  @Field(() => Int, { description: 'Units of delivered shipments.' })
  quantityDelivered!: number;

  @Field(() => Int, { description: 'Units cancelled before they shipped.' })
  quantityCancelled!: number;
}

@ObjectType('OrderHistoryEntry')
export class OrderHistoryEntryType {
  @Field(() => ID)
  id!: string;

  @Field({
    description:
      'The event type: order.created, order.status_changed, order.cancelled, order.shipment_created, ' +
      'order.shipment_delivered or order.lines_cancelled.',
  })
  type!: string;

  @Field(() => OrderStatus, { nullable: true })
  fromStatus!: OrderStatus | null;

  @Field(() => OrderStatus, { nullable: true })
  toStatus!: OrderStatus | null;

  @Field({ description: 'A user id, or system:<consumer> for changes made by a consumer.' })
  actor!: string;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field()
  occurredAt!: Date;

  static from(row: OrderHistory): OrderHistoryEntryType {
    return Object.assign(new OrderHistoryEntryType(), {
      id: row.id,
      type: row.type,
      fromStatus: row.fromStatus,
      toStatus: row.toStatus,
      actor: row.actor,
      reason: row.reason,
      occurredAt: row.occurredAt,
    });
  }
}

@ObjectType('Order')
export class OrderType {
  @Field(() => ID)
  id!: string;

  /** Resolved by a field resolver (batched per request). */
  customerId!: string;

  @Field(() => OrderStatus)
  status!: OrderStatus;

  @Field(() => [OrderItemType])
  items!: OrderItemType[];

  @Field(() => MoneyType, {
    description: 'What the customer pays: until paid it drops as units are cancelled; once paid, what was charged.',
  })
  total!: MoneyType;

  @Field(() => MoneyType, { description: 'What is owed back for units cancelled after payment.' })
  refundDue!: MoneyType;

  @Field()
  shippingAddress!: string;

  @Field(() => [ShipmentType], { description: 'Oldest first.' })
  shipments!: ShipmentType[];

  @Field(() => Int, { description: 'Bumped by every change; pass it as expectedVersion to update safely.' })
  version!: number;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;

  static fromSnapshot(order: OrderSnapshot): OrderType {
    const currency = order.currency;
    return Object.assign(new OrderType(), {
      id: order.id,
      customerId: order.customerId,
      status: order.status,
      items: order.items.map((item) =>
        Object.assign(new OrderItemType(), {
          sku: item.sku,
          name: item.name,
          quantity: item.quantity,
          unitPrice: MoneyType.of(item.unitPriceMinor, currency),
          lineTotal: MoneyType.of(item.lineTotalMinor, currency),
          status: item.status,
          quantityShipped: item.quantityShipped,
          quantityDelivered: item.quantityDelivered,
          quantityCancelled: item.quantityCancelled,
        }),
      ),
      total: MoneyType.of(order.totalMinor, currency),
      refundDue: MoneyType.of(order.refundDueMinor, currency),
      shippingAddress: order.shippingAddress,
      shipments: order.shipments.map((shipment) => ShipmentType.fromSnapshot(shipment)),
      version: order.version,
      createdAt: new Date(order.createdAt),
      updatedAt: new Date(order.updatedAt),
    });
  }
}

@ObjectType()
export class OrderEdge {
  @Field()
  cursor!: string;

  @Field(() => OrderType)
  node!: OrderType;
}

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
export class OrderConnection {
  @Field(() => [OrderEdge])
  edges!: OrderEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

@ObjectType({ description: 'One change of an order, in the order changes happened. docs/live.md has the protocol.' })
export class OrderStatusChange {
  @Field(() => OrderType, { description: 'The order as it is now (for a replayed change too).' })
  order!: OrderType;

  @Field(() => OrderStatus, {
    nullable: true,
    description: 'The status before this change; equal to status when the change did not move it.',
  })
  previousStatus!: OrderStatus | null;

  @Field(() => OrderStatus, { description: 'The status after this change.' })
  status!: OrderStatus;

  @Field()
  changedAt!: Date;

  @Field()
  actor!: string;

  @Field(() => Int, { description: 'The order’s version after this change: per order, they arrive without holes.' })
  version!: number;

  @Field({ description: 'Pass as `after` to resume right after this change.' })
  cursor!: string;
}

@InputType()
export class OrderItemInput {
  @Field()
  sku!: string;

  @Field(() => Int, { description: '1 to 1000.' })
  quantity!: number;
}

@InputType()
export class CreateOrderInput {
  @Field(() => [OrderItemInput])
  items!: OrderItemInput[];

  @Field()
  shippingAddress!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Retrying with the same key returns the same order instead of placing another.',
  })
  idempotencyKey?: string | null;
}

@InputType()
export class UpdateOrderStatusInput {
  @Field(() => ID)
  orderId!: string;

  @Field(() => OrderStatus)
  status!: OrderStatus;

  @Field(() => String, { nullable: true })
  reason?: string | null;

  @Field(() => Int, { nullable: true, description: 'Refuse with CONFLICT unless the order is at this version.' })
  expectedVersion?: number | null;
}

@InputType()
export class CancelOrderInput {
  @Field(() => ID)
  orderId!: string;

  @Field(() => String, { nullable: true })
  reason?: string | null;
}

@InputType()
export class CancelOrderLinesInput {
  @Field(() => ID)
  orderId!: string;

  @Field(() => [ShipmentLineInput], { description: 'Units not shipped (nor cancelled before); each sku once.' })
  lines!: ShipmentLineInput[];

  @Field(() => String, { nullable: true })
  reason?: string | null;

  @Field(() => Int, { nullable: true, description: 'Refuse with CONFLICT unless the order is at this version.' })
  expectedVersion?: number | null;
}

@InputType()
export class OrderFilter {
  @Field(() => OrderStatus, { nullable: true })
  status?: OrderStatus | null;

  @Field(() => ID, { nullable: true, description: 'Admins only.' })
  customerId?: string | null;

  @Field(() => Date, { nullable: true })
  createdAfter?: Date | null;

  @Field(() => Date, { nullable: true })
  createdBefore?: Date | null;
}
