// Who is calling: the one answer for HTTP and the websocket alike. A token
// is accepted when it verifies (tokens.ts) AND its account still exists; a
// token for a deleted account is UNAUTHENTICATED everywhere.
//
// Checking the account on every request would add a database round trip to
// the hottest reads, so accounts seen to exist are remembered for a short
// while (ACCOUNT_CHECK_TTL_MS): an account deleted by an operator is refused
// by every instance within that time. Accounts found missing are remembered
// too (ids are never reused).
//
// A token's signature and claims are checked once and the answer kept by the
// exact token string until the token expires: verifying a JWT is pure, and
// the HMAC and claim parsing were a large part of a cached read's CPU.
import { UnauthenticatedError } from '../errors.js';
import { verifyAccessToken, type TokenSettings, type Viewer } from './tokens.js';

export const ACCOUNT_CHECK_TTL_MS = 10_000;
const MAX_REMEMBERED = 50_000;

/** Finds which of these accounts exist. */
export type AccountLookup = (userIds: readonly string[]) => Promise<ReadonlySet<string>>;

export class Authenticator {
  /** userId -> when the knowledge expires (ms), and whether the account existed. */
  private readonly known = new Map<string, { exists: boolean; until: number }>();
  /** token -> the viewer it verified to; dropped once expired. */
  private readonly verified = new Map<string, Viewer>();

  constructor(
    private readonly settings: TokenSettings,
    private readonly lookup: AccountLookup,
    private readonly ttlMs = ACCOUNT_CHECK_TTL_MS,
  ) {}

  /** The caller a token names; UNAUTHENTICATED when the token is not valid or its account is gone. */
  async authenticate(token: string): Promise<Viewer> {
    const viewer = this.verify(token);
    if (!(await this.accountExists(viewer.userId))) {
      throw new UnauthenticatedError('The account of this access token no longer exists');
    }
    return viewer;
  }

  /** Forget what is known of an account (after it was deleted here, for instance). */
  forget(userId: string): void {
    this.known.delete(userId);
  }

  private verify(token: string): Viewer {
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known;
    // Expired, or never seen: verifyAccessToken says which (and throws for both a bad and an expired token).
    this.verified.delete(token);
    const viewer = verifyAccessToken(this.settings, token);
    if (this.verified.size >= MAX_REMEMBERED) this.verified.clear();
    this.verified.set(token, viewer);
    return viewer;
  }

  private async accountExists(userId: string): Promise<boolean> {
    const now = Date.now();
    const known = this.known.get(userId);
    if (known && (!known.exists || known.until > now)) return known.exists;
    const exists = (await this.lookup([userId])).has(userId);
    if (this.known.size >= MAX_REMEMBERED) this.known.clear();
    this.known.set(userId, { exists, until: now + this.ttlMs });
    return exists;
  }
}
