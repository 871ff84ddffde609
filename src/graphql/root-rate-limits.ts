// Rate limits live in the schema (each root field's resolver counts its call
// first), so they hold for every transport: HTTP, batches and the websocket.
//
// Only root fields are wrapped. A type-graphql global middleware would run for
// every nested field as well and make each of them asynchronous: a few promises
// per field of every response, most of a cached read's execution time.
import { defaultFieldResolver, type GraphQLSchema } from 'graphql';
import type { GraphQLContext } from './context.js';

/** Queries and mutations; subscriptions are bounded per socket instead. */
export function rateLimitRootFields(schema: GraphQLSchema): GraphQLSchema {
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = async (root, args: Record<string, unknown>, context: GraphQLContext, info) => {
        await context.services.rateLimits.check(info.fieldName, args, {
          ip: context.ip,
          userId: context.viewer?.userId ?? null,
        });
        return resolve(root, args, context, info);
      };
    }
  }
  return schema;
}
