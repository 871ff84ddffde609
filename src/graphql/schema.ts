import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema } from 'type-graphql';
import { AuthResolver } from '../auth/index.js';
import { rateLimitRootFields } from './root-rate-limits.js';
import { CatalogResolver } from '../catalog/index.js';
import { OrderFulfilmentResolver, OrderResolver } from '../orders/index.js';
import { NotificationResolver } from '../notifications/index.js';

export async function createSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [AuthResolver, CatalogResolver, OrderResolver, OrderFulfilmentResolver, NotificationResolver],
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    // Input rules live in the services (one place for every transport).
    validate: false,
    // Required by type-graphql once a subscription exists; ours bring their own
    // `subscribe` (live/order-updates.ts), so nothing publishes to this one.
    pubSub: createPubSub(),
  });
  // Rate limits hold for every transport because they live in the schema.
  return rateLimitRootFields(schema);
}
