// Rate limits per caller (SPEC section 7): which counters a root field is
// counted against, and the check that counts it (in one atomic step, see
// rate-limit-stores.ts). The GraphQL middleware that calls it for every root
// field, over HTTP and the websocket alike, is graphql/root-rate-limits.ts.
import { normalizeEmail } from '../auth/index.js';
import type { Config } from '../config.js';
import { RateLimitedError } from '../errors.js';
import type { RateLimitCounter, RateLimitStore } from './rate-limit-stores.js';

export interface Caller {
  ip: string;
  userId: string | null;
}

/** A signed-in caller is counted as themselves wherever they connect from; anyone else by IP. */
function callerIdentity(caller: Caller): string {
  return caller.userId ? `user:${caller.userId}` : `ip:${caller.ip}`;
}

/**
 * The account an email names, as login will look it up: every spelling of
 * one address (case, fullwidth letters, composed or combining accents)
 * shares one counter. Addresses login refuses anyway are counted as typed.
 */
function emailIdentity(args: Record<string, unknown>): string {
  const input = args.input as { email?: unknown } | undefined;
  const raw = typeof input?.email === 'string' ? input.email : '';
  let email: string;
  try {
    email = normalizeEmail(raw);
  } catch {
    email = raw.trim().toLowerCase();
  }
  return `email:${email.slice(0, 320)}`;
}

/** The counters a root field is counted against (SPEC section 7). */
export function rateLimitChecks(
  fieldName: string,
  args: Record<string, unknown>,
  caller: Caller,
  limits: Config['rateLimits'],
): RateLimitCounter[] {
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

export class RateLimits {
  constructor(
    private readonly store: RateLimitStore,
    private readonly limits: Config['rateLimits'],
  ) {}

  /**
   * Counts one call of a root field; throws RATE_LIMITED (with retryAfter in
   * seconds) when any of its counters is full. A refused call counts against
   * none of them, so a client that keeps retrying is let in again as soon as
   * the window has room, and retryAfter stays true.
   */
  async check(fieldName: string, args: Record<string, unknown>, caller: Caller): Promise<void> {
    const waitMs = await this.store.hit(rateLimitChecks(fieldName, args, caller, this.limits));
    if (waitMs > 0) throw new RateLimitedError(Math.max(1, Math.ceil(waitMs / 1000)));
  }
}
