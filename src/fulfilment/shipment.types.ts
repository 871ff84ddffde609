import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ShipmentStatus, type Shipment } from './shipment.entity.js';

registerEnumType(ShipmentStatus, { name: 'ShipmentStatus' });

/** A shipment as plain data: what the order cache keeps and subscribers are sent with their order. */
export interface ShipmentSnapshot {
  id: string;
  status: ShipmentStatus;
  lines: { sku: string; quantity: number }[];
  carrier: string | null;
  trackingNumber: string | null;
  /** ISO 8601, as it travels through JSON. */
  shippedAt: string;
  deliveredAt: string | null;
}

export function shipmentSnapshotOf(shipment: Shipment): ShipmentSnapshot {
  return {
    id: shipment.id,
    status: shipment.status,
    lines: shipment.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
    carrier: shipment.carrier,
    trackingNumber: shipment.trackingNumber,
    shippedAt: shipment.shippedAt.toISOString(),
    deliveredAt: shipment.deliveredAt?.toISOString() ?? null,
  };
}

@ObjectType('ShipmentLine')
export class ShipmentLineType {
  @Field()
  sku!: string;

  @Field(() => Int)
  quantity!: number;
}

@ObjectType('Shipment', { description: 'Units of one order sent together.' })
export class ShipmentType {
  @Field(() => ID, {
    description: 'The shipping service’s shipmentId for shipments it reports; a UUID for those staff record.',
  })
  id!: string;

  @Field(() => ShipmentStatus)
  status!: ShipmentStatus;

  @Field(() => [ShipmentLineType])
  lines!: ShipmentLineType[];

  @Field(() => String, { nullable: true })
  carrier!: string | null;

  @Field(() => String, { nullable: true })
  trackingNumber!: string | null;

  @Field({ description: 'When the order service recorded the shipment.' })
  shippedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the order service recorded its delivery.' })
  deliveredAt!: Date | null;

  static fromSnapshot(shipment: ShipmentSnapshot): ShipmentType {
    return Object.assign(new ShipmentType(), {
      id: shipment.id,
      status: shipment.status,
      lines: shipment.lines.map((line) => Object.assign(new ShipmentLineType(), line)),
      carrier: shipment.carrier,
      trackingNumber: shipment.trackingNumber,
      shippedAt: new Date(shipment.shippedAt),
      deliveredAt: shipment.deliveredAt === null ? null : new Date(shipment.deliveredAt),
    });
  }
}

@InputType()
export class ShipmentLineInput {
  @Field()
  sku!: string;

  @Field(() => Int, { description: 'At least 1, and at most the units of the line left.' })
  quantity!: number;
}

@InputType()
export class CreateShipmentInput {
  @Field(() => ID)
  orderId!: string;

  @Field(() => [ShipmentLineInput], { description: 'Units not yet shipped or cancelled; each sku once.' })
  lines!: ShipmentLineInput[];

  @Field(() => String, { nullable: true })
  carrier?: string | null;

  @Field(() => String, { nullable: true })
  trackingNumber?: string | null;

  @Field(() => Int, { nullable: true, description: 'Refuse with CONFLICT unless the order is at this version.' })
  expectedVersion?: number | null;
}
