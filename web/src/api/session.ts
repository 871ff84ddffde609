// The signed-in session: tokens kept in localStorage, shared by every tab of
// this origin. The access token is renewed before it expires; the refresh
// token works once (the API revokes the whole session when a spent one comes
// back), so tabs take turns through a Web Lock and a tab that finds the
// token already renewed by another simply uses the new one.
import type { Role } from '../generated/graphql';

export interface SessionUser {
  id: string;
  email: string;
  role: Role;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ISO 8601). */
  expiresAt: string;
  /** When this tab or another received it (ms since epoch): with expiresAt, the token's lifetime. */
  receivedAt: number;
  user: SessionUser;
}

/** What the API returns from register, login and refreshToken. */
export type SessionPayload = Omit<Session, 'receivedAt'>;

/** Exchanges a refresh token for a new pair; `null` when the API refuses it (spent, expired, revoked). */
export type Renewer = (refreshToken: string) => Promise<SessionPayload | null>;

export type SessionEnd = 'signed-out' | 'expired';

const STORAGE_KEY = 'order-service.session';
const LOCK_NAME = 'order-service.session-renewal';
/** Renew this long before expiry: a minute, or a fifth of a short-lived token's life. */
const MAX_MARGIN_MS = 60_000;
/** How long a tab that waited for another's renewal gives that tab's new session to reach it. */
const OTHER_TAB_WRITE_WAIT_MS = 3_000;

export class SessionStore {
  private readonly listeners = new Set<() => void>();
  private raw: string | null = null;
  private parsed: Session | null = null;
  /** An access token the API refused before its expiry (e.g. the API restarted with a new secret). */
  private rejectedToken: string | null = null;
  private renewing: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private renewer: Renewer | null = null;
  /** Why the last session ended, for the sign-in page to say. */
  lastEnd: SessionEnd | null = null;

  constructor(private readonly storage: Storage = window.localStorage) {
    // Another tab signed in, out, or renewed: take its session as ours.
    window.addEventListener('storage', (event) => {
      if (event.key !== STORAGE_KEY && event.key !== null) return;
      this.changed();
    });
    this.schedule();
  }

  setRenewer(renewer: Renewer): void {
    this.renewer = renewer;
  }

  current(): Session | null {
    const raw = this.storage.getItem(STORAGE_KEY);
    if (raw !== this.raw) {
      this.raw = raw;
      this.parsed = raw ? parseSession(raw) : null;
    }
    return this.parsed;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  signIn(payload: SessionPayload): void {
    this.lastEnd = null;
    this.write(payload);
  }

  signOut(reason: SessionEnd = 'signed-out'): void {
    this.lastEnd = reason;
    this.storage.removeItem(STORAGE_KEY);
    this.changed();
  }

  /** True when the access token is about to expire, has, or was refused. */
  needsRenewal(session: Session | null = this.current(), now = Date.now()): boolean {
    if (!session) return false;
    if (session.accessToken === this.rejectedToken) return true;
    return now >= renewAt(session);
  }

  /** The API refused this token: the next use renews first. */
  markRejected(accessToken: string): void {
    this.rejectedToken = accessToken;
  }

  /** A usable access token, renewed first when needed; null when signed out. */
  async freshAccessToken(): Promise<string | null> {
    if (this.needsRenewal()) await this.renew();
    return this.current()?.accessToken ?? null;
  }

  /**
   * Renews the session once for every caller in this tab, and in turn with
   * other tabs. A refused refresh token ends the session; a network failure
   * leaves it as it is (the caller sees the failure and may try again).
   */
  renew(): Promise<void> {
    this.renewing ??= this.withLock((waited) => this.renewNow(waited)).finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  private async renewNow(waited: boolean): Promise<void> {
    // Read again inside the lock: another tab may have renewed, or signed out, meanwhile.
    let session = this.current();
    if (!session || !this.needsRenewal(session)) return;
    if (waited) {
      // Another tab held the lock while this one waited: it was renewing. Its write reaches this tab's
      // localStorage a moment after its lock is released (tabs may be separate processes), and presenting
      // the old refresh token before then would spend it twice, which ends the session for every tab.
      session = await this.changeFrom(session, OTHER_TAB_WRITE_WAIT_MS);
      if (!session || !this.needsRenewal(session)) return;
    }
    if (!this.renewer) throw new Error('No way to renew the session yet');
    const next = await this.renewer(session.refreshToken);
    if (next) this.write(next);
    else if (this.current()?.refreshToken === session.refreshToken) this.signOut('expired');
  }

  /** Runs `task` holding the renewal lock; `waited` says whether another tab held it first. */
  private async withLock(task: (waited: boolean) => Promise<void>): Promise<void> {
    // Web Locks exist in secure contexts (https, localhost); elsewhere a tab renews alone.
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    if (!locks) return task(false);
    const ran = await locks.request(LOCK_NAME, { mode: 'exclusive', ifAvailable: true }, async (lock) => {
      if (!lock) return false;
      await task(false);
      return true;
    });
    if (!ran) await locks.request(LOCK_NAME, { mode: 'exclusive' }, () => task(true));
  }

  /** The session once another tab's write replaces `session` here, or whatever is here after `ms`. */
  private changeFrom(session: Session, ms: number): Promise<Session | null> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      let unsubscribe: () => void = () => {};
      const finish = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve(this.current());
      };
      if (this.current() !== session) return finish();
      timer = setTimeout(finish, ms);
      unsubscribe = this.subscribe(() => {
        if (this.current() !== session) finish();
      });
    });
  }

  private write(payload: SessionPayload): void {
    const session: Session = { ...payload, user: { ...payload.user }, receivedAt: Date.now() };
    this.storage.setItem(STORAGE_KEY, JSON.stringify(session));
    this.changed();
  }

  private changed(): void {
    this.schedule();
    for (const listener of this.listeners) listener();
  }

  /** Renews ahead of expiry while the page is open, so neither requests nor the socket meet an expired token. */
  private schedule(): void {
    clearTimeout(this.timer);
    const session = this.current();
    if (!session) return;
    const delay = Math.max(0, renewAt(session) - Date.now());
    this.timer = setTimeout(() => {
      this.renew().catch(() => {
        // Offline for now: the next request or reconnect renews, and says so if it cannot.
      });
    }, delay);
  }
}

function renewAt(session: Session): number {
  const expiresAt = Date.parse(session.expiresAt);
  const lifetime = Math.max(0, expiresAt - session.receivedAt);
  return expiresAt - Math.min(MAX_MARGIN_MS, lifetime / 5);
}

function parseSession(raw: string): Session | null {
  try {
    const value = JSON.parse(raw) as Partial<Session>;
    if (
      typeof value.accessToken === 'string' &&
      typeof value.refreshToken === 'string' &&
      typeof value.expiresAt === 'string' &&
      typeof value.receivedAt === 'number' &&
      value.user &&
      typeof value.user.id === 'string'
    ) {
      return value as Session;
    }
  } catch {
    // Not ours, or damaged: treat as signed out.
  }
  return null;
}
