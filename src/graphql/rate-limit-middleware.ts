// Rate limits live in the schema (a type-graphql global middleware), so they
// hold for every transport: HTTP, batches and the websocket.
import type { MiddlewareFn } from 'type-graphql';
import type { GraphQLContext } from './context.js';

/** Root fields only: nested fields are part of their root's call. Subscriptions are bounded per socket instead. */
export const rateLimitMiddleware: MiddlewareFn<GraphQLContext> = async ({ info, args, context }, next) => {
  if (info.path.prev === undefined && info.operation.operation !== 'subscription') {
    await context.services.rateLimits.check(info.fieldName, args, {
      ip: context.ip,
      userId: context.viewer?.userId ?? null,
    });
  }
  return next();
};
