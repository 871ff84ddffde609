import { Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { ProductType } from './product.types.js';

@Resolver()
export class CatalogResolver {
  @Query(() => [ProductType], { description: 'The catalogue that prices orders.' })
  async products(@Ctx() ctx: GraphQLContext): Promise<ProductType[]> {
    return (await ctx.services.catalog.listProducts()).map((p) => ProductType.from(p));
  }
}
