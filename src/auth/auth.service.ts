// Accounts and sessions: register, log in, rotate refresh tokens, seed the admin.
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Orm } from '../db/orm.js';
import { EmailTakenError, InvalidCredentialsError, NotFoundError, UnauthenticatedError } from '../errors.js';
import { isUuid } from '../ids.js';
import { Role } from './role.js';
import { normalizeEmail, PASSWORD_MAX_BYTES, validatePassword } from './credentials.js';
import { RefreshToken } from './refresh-token.entity.js';
import { hashRefreshToken, newRefreshTokenValue, signAccessToken, type TokenSettings } from './tokens.js';
import { User } from './user.entity.js';

export interface AuthSettings extends TokenSettings {
  refreshTtlSeconds: number;
  bcryptCost: number;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  user: User;
}

export class AuthService {
  /** Compared against when the email is unknown, so both paths cost one bcrypt. */
  private readonly dummyHash: string;

  constructor(
    private readonly orm: Orm,
    private readonly settings: AuthSettings,
  ) {
    this.dummyHash = bcrypt.hashSync('not-a-real-password', settings.bcryptCost);
  }

  async register(rawEmail: string, password: string): Promise<Session> {
    const email = normalizeEmail(rawEmail);
    validatePassword(password);
    const passwordHash = await bcrypt.hash(password, this.settings.bcryptCost);
    const em = this.orm.em.fork();
    try {
      return await em.transactional(async (tx) => {
        const user = tx.create(User, { email, passwordHash, role: Role.CUSTOMER });
        await tx.flush();
        return this.startSession(tx, user, randomUUID());
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new EmailTakenError();
      throw error;
    }
  }

  async login(rawEmail: string, password: string): Promise<Session> {
    // Shape errors are still BAD_USER_INPUT; a wrong email or password is INVALID_CREDENTIALS.
    const email = normalizeEmail(rawEmail);
    // bcrypt reads only 72 bytes: a longer password was never accepted at registration, so it cannot be
    // right, and comparing it would let any string sharing the first 72 bytes in.
    const bytes = Buffer.byteLength(password, 'utf8');
    if (bytes === 0 || bytes > PASSWORD_MAX_BYTES) throw new InvalidCredentialsError();
    const em = this.orm.em.fork();
    const user = await em.findOne(User, { email });
    const ok = await bcrypt.compare(password, user?.passwordHash ?? this.dummyHash);
    if (!user || !ok) throw new InvalidCredentialsError();
    return em.transactional((tx) => this.startSession(tx, user, randomUUID()));
  }

  /** Rotates: the presented token is spent; presenting a spent one again revokes its whole family. */
  async refresh(token: string): Promise<Session> {
    const tokenHash = hashRefreshToken(token);
    const em = this.orm.em.fork();
    const session = await em.transactional(async (tx) => {
      const [spent] = await tx.execute<{ user_id: string; family_id: string }[]>(
        `update refresh_tokens set used_at = now()
          where token_hash = ? and used_at is null and revoked_at is null and expires_at > now()
          returning user_id, family_id`,
        [tokenHash],
      );
      if (!spent) return undefined;
      const user = await tx.findOneOrFail(User, { id: spent.user_id });
      return this.startSession(tx, user, spent.family_id);
    });
    if (session) return session;
    // Not spendable: if it was a real token that was already used, assume theft and end that family.
    await em.execute(
      `update refresh_tokens set revoked_at = now()
        where revoked_at is null and family_id = (select family_id from refresh_tokens where token_hash = ? and used_at is not null)`,
      [tokenHash],
    );
    throw new UnauthenticatedError('Refresh token is not valid, expired or already used');
  }

  async getUser(id: string): Promise<User> {
    const user = await this.orm.em.fork().findOne(User, { id });
    if (!user) throw new NotFoundError('User not found');
    return user;
  }

  /** Many users in one query, in the order asked; a missing one is an Error in its place. */
  async getUsers(ids: readonly string[]): Promise<(User | Error)[]> {
    const users = await this.orm.em.fork().find(User, { id: { $in: [...ids] } });
    const byId = new Map(users.map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id) ?? new NotFoundError('User not found'));
  }

  /** Which of these accounts exist (for authenticating tokens: ids only, no rows loaded). */
  async existingAccounts(ids: readonly string[]): Promise<ReadonlySet<string>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Set();
    const rows = await this.orm.em
      .fork()
      .execute<{ id: string }[]>(`select id from users where id = any(?::uuid[])`, [`{${valid.join(',')}}`]);
    return new Set(rows.map((r) => r.id));
  }

  /** Creates the admin account if no user has that email; never changes an existing one. */
  async ensureAdmin(rawEmail: string, password: string): Promise<boolean> {
    const email = normalizeEmail(rawEmail);
    validatePassword(password);
    const em = this.orm.em.fork();
    if (await em.count(User, { email })) return false;
    const passwordHash = await bcrypt.hash(password, this.settings.bcryptCost);
    try {
      await em.insert(User, { id: randomUUID(), email, passwordHash, role: Role.ADMIN, createdAt: new Date() });
      return true;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return false; // another instance won the race
      throw error;
    }
  }

  private async startSession(tx: Orm['em'], user: User, familyId: string): Promise<Session> {
    const refreshToken = newRefreshTokenValue();
    tx.create(RefreshToken, {
      user,
      tokenHash: hashRefreshToken(refreshToken),
      familyId,
      expiresAt: new Date(Date.now() + this.settings.refreshTtlSeconds * 1000),
    });
    await tx.flush();
    const access = signAccessToken(this.settings, user);
    return { accessToken: access.token, refreshToken, expiresAt: access.expiresAt, user };
  }
}
