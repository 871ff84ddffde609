// Which browser origins may use the API (CORS_ORIGINS): the same answer for
// fetches (CORS) and for websocket upgrades, where browsers send Origin but
// apply no CORS, so a page elsewhere could otherwise ride a user's token
// (cross-site websocket hijacking). Non-browser clients send no Origin.
import type { IncomingMessage } from 'node:http';
import type { CorsOptions } from 'cors';
import type { Config } from '../config.js';

/** Headers a page on another origin may read from a response. */
const EXPOSED_HEADERS = ['x-request-id'];
/** How long a browser may keep a preflight's answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export class OriginPolicy {
  private readonly allowed: ReadonlySet<string> | '*';

  constructor(origins: Config['corsOrigins']) {
    this.allowed = origins === '*' ? '*' : new Set(origins);
  }

  /** A listed origin, any with `*`; never the literal `null` of sandboxed frames and files unless `*`. */
  allows(origin: string): boolean {
    return this.allowed === '*' || this.allowed.has(origin);
  }

  /** For `cors()`: listed origins are echoed (with Vary: Origin), others get no CORS headers. */
  corsOptions(): CorsOptions {
    return {
      origin: this.allowed === '*' ? '*' : (origin, done) => done(null, origin !== undefined && this.allows(origin)),
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    };
  }

  /** A websocket upgrade: no Origin (not a browser), the API's own origin, or an allowed one. */
  allowsUpgrade(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    if (this.allows(origin)) return true;
    return sameHost(origin, request.headers.host);
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
