import { Field, Int, ObjectType } from 'type-graphql';
import { MoneyType } from '../graphql/money.type.js';
import type { Product } from './product.entity.js';

@ObjectType('Product')
export class ProductType {
  @Field()
  sku!: string;

  @Field()
  name!: string;

  @Field(() => MoneyType)
  price!: MoneyType;

  @Field(() => Int)
  stock!: number;

  static from(product: Product): ProductType {
    return Object.assign(new ProductType(), {
      sku: product.sku,
      name: product.name,
      price: MoneyType.of(product.priceMinor, product.currency),
      stock: product.stock,
    });
  }
}
