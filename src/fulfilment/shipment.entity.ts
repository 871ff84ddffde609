import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export enum ShipmentStatus {
  SHIPPED = 'SHIPPED',
  DELIVERED = 'DELIVERED',
}

export interface ShipmentLine {
  sku: string;
  quantity: number;
}

/**
 * Units of one order sent together. Its id is the shipping service's
 * shipmentId for shipments it reports, a new UUID for those staff record.
 * Written only by order changes (orders/), which lock the order first.
 */
@Entity({ tableName: 'shipments' })
export class Shipment {
  @PrimaryKey({ type: 'string', length: 200 })
  id!: string;

  /** A plain id: shipments are read and written with their order, never loaded through it. */
  @Property({ type: 'uuid', index: true })
  orderId!: string;

  @Property({ type: 'string', length: 16 })
  status: ShipmentStatus = ShipmentStatus.SHIPPED;

  @Property({ type: 'json' })
  lines!: ShipmentLine[];

  @Property({ type: 'string', length: 100, nullable: true })
  carrier: string | null = null;

  @Property({ type: 'string', length: 200, nullable: true })
  trackingNumber: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  shippedAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz(3)', nullable: true })
  deliveredAt: Date | null = null;
}
