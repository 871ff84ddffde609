// Rate limits per caller, counted with graphql-rate-limit's limiter in a
// type-graphql middleware, so they hold for every transport (HTTP and the
// websocket) and, over Redis, across every instance. Each root field counts
// once against the buckets `rateLimitChecks` names for it.
import type { GraphQLResolveInfo } from 'graphql';
import { getFieldIdentity, getGraphQLRateLimiter, type Store } from 'graphql-rate-limit';
import type { MiddlewareFn } from 'type-graphql';
import type { Config, RateLimit } from '../config.js';
import { RateLimitedError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';

export interface Caller {
  ip: string;
  userId: string | null;
}

export interface RateLimitCheck {
  /** The counter's name, e.g. `login-email`. */
  bucket: string;
  /** Whose counter: `ip:…`, `email:…` or `user:…`. */
  identity: string;
  limit: RateLimit;
}

/** A signed-in caller is counted as themselves wherever they connect from; anyone else by IP. */
function callerIdentity(caller: Caller): string {
  return caller.userId ? `user:${caller.userId}` : `ip:${caller.ip}`;
}

function emailIdentity(args: Record<string, unknown>): string {
  const input = args.input as { email?: unknown } | undefined;
  const email = typeof input?.email === 'string' ? input.email.trim().toLowerCase().slice(0, 320) : '';
  return `email:${email}`;
}

/** The limits a root field counts against (SPEC section 7). */
export function rateLimitChecks(
  fieldName: string,
  args: Record<string, unknown>,
  caller: Caller,
  limits: Config['rateLimits'],
): RateLimitCheck[] {
  switch (fieldName) {
    case 'login':
      return [
        { bucket: 'login-ip', identity: `ip:${caller.ip}`, limit: limits.loginIp },
        { bucket: 'login-email', identity: emailIdentity(args), limit: limits.login },
      ];
    case 'register':
      return [{ bucket: 'register', identity: `ip:${caller.ip}`, limit: limits.register }];
    case 'createOrder':
      return [{ bucket: 'create-order', identity: callerIdentity(caller), limit: limits.createOrder }];
    default:
      return [{ bucket: 'default', identity: callerIdentity(caller), limit: limits.default }];
  }
}

/** Seconds until a counter holding these call times admits one more call. */
export function secondsUntilAdmitted(timestamps: readonly number[], limit: RateLimit, now: number): number {
  const live = timestamps.filter((t) => t + limit.windowMs > now).sort((a, b) => a - b);
  // One more call fits once all but max-1 of the live calls have left the window.
  const blocking = live[live.length - limit.max];
  if (blocking === undefined) return 1;
  return Math.max(1, Math.ceil((blocking + limit.windowMs - now) / 1000));
}

interface LimiterContext {
  identity: string;
}

export class RateLimits {
  private readonly limiter: ReturnType<typeof getGraphQLRateLimiter>;

  constructor(
    private readonly store: Store,
    private readonly limits: Config['rateLimits'],
  ) {
    this.limiter = getGraphQLRateLimiter({
      identifyContext: (context: LimiterContext) => context.identity,
      store,
    });
  }

  /** Counts the call; throws RATE_LIMITED (with retryAfter) when a limit is reached. */
  async check(info: GraphQLResolveInfo, args: Record<string, unknown>, caller: Caller): Promise<void> {
    let retryAfter = 0;
    for (const check of rateLimitChecks(info.fieldName, args, caller, this.limits)) {
      const refused = await this.limiter(
        {
          parent: undefined,
          args: {},
          context: { identity: check.identity } satisfies LimiterContext,
          // The library names the counter after info.fieldName; ours are named by bucket.
          info: { ...info, fieldName: check.bucket },
        },
        { max: check.limit.max, window: `${check.limit.windowMs}ms`, uncountRejected: true },
      );
      if (refused) retryAfter = Math.max(retryAfter, await this.retryAfter(check));
    }
    if (retryAfter > 0) throw new RateLimitedError(retryAfter);
  }

  private async retryAfter(check: RateLimitCheck): Promise<number> {
    const identity = { contextIdentity: check.identity, fieldIdentity: getFieldIdentity(check.bucket, [], {}) };
    const timestamps = await this.store.getForIdentity(identity);
    return secondsUntilAdmitted(timestamps, check.limit, Date.now());
  }
}

/** Root fields only: nested fields are part of their root's call. Subscriptions are bounded per socket instead. */
export const rateLimitMiddleware: MiddlewareFn<GraphQLContext> = async ({ info, args, context }, next) => {
  if (info.path.prev === undefined && info.operation.operation !== 'subscription') {
    await context.services.rateLimits.check(info, args, { ip: context.ip, userId: context.viewer?.userId ?? null });
  }
  return next();
};
