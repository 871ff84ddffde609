import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** A catalogue entry: it prices orders; clients never set prices. */
@Entity({ tableName: 'products' })
export class Product {
  @PrimaryKey({ type: 'string', length: 64 })
  sku!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'integer' })
  priceMinor!: number;

  @Property({ type: 'string', columnType: 'char(3)' })
  currency!: string;

  /** Never negative (a CHECK constraint holds it in the database too). */
  @Property({ type: 'integer' })
  stock!: number;
}
