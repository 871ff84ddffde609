import { afterEach, describe, expect, it, vi } from 'vitest';
import { UnauthenticatedError } from '../errors.js';
import { Authenticator } from './authenticate.js';
import { Role } from './role.js';
import { signAccessToken, type TokenSettings } from './tokens.js';

const settings: TokenSettings = {
  secret: 'a-secret-that-is-long-enough-for-hs256-0123456789',
  issuer: 'order-service',
  audience: 'order-service-clients',
  accessTtlSeconds: 60,
};
const ALICE = '6a1c2c1e-8a43-4a8e-9f43-0d7e9a0c1b11';

/** Accounts in a set the test changes, and how often the authenticator asked. */
function directory(initial: string[]) {
  const accounts = new Set(initial);
  let lookups = 0;
  return {
    accounts,
    get lookups() {
      return lookups;
    },
    lookup: async (ids: readonly string[]) => {
      lookups++;
      return new Set(ids.filter((id) => accounts.has(id)));
    },
  };
}

describe('authenticating a caller', () => {
  const token = signAccessToken(settings, { id: ALICE, role: Role.CUSTOMER }).token;

  it('accepts a valid token of an existing account, asking for the account once within the TTL', async () => {
    const dir = directory([ALICE]);
    const auth = new Authenticator(settings, dir.lookup, 60_000);
    expect(await auth.authenticate(token)).toMatchObject({ userId: ALICE, role: Role.CUSTOMER });
    await auth.authenticate(token);
    expect(dir.lookups).toBe(1);
  });

  it('refuses a valid token whose account does not exist', async () => {
    const auth = new Authenticator(settings, directory([]).lookup);
    await expect(auth.authenticate(token)).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses an account deleted after it was seen, once the TTL has passed', async () => {
    const dir = directory([ALICE]);
    const auth = new Authenticator(settings, dir.lookup, 20);
    await auth.authenticate(token);
    dir.accounts.delete(ALICE);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await expect(auth.authenticate(token)).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses a bad token without asking for any account', async () => {
    const dir = directory([ALICE]);
    const auth = new Authenticator(settings, dir.lookup);
    await expect(auth.authenticate(`${token}x`)).rejects.toThrow(UnauthenticatedError);
    expect(dir.lookups).toBe(0);
  });

  describe('a token accepted before', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('is refused as expired once its expiry has passed', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const auth = new Authenticator(settings, directory([ALICE]).lookup, 600_000);
      const fresh = signAccessToken(settings, { id: ALICE, role: Role.CUSTOMER }).token;
      await auth.authenticate(fresh);
      vi.setSystemTime(Date.now() + (settings.accessTtlSeconds + 1) * 1000);
      await expect(auth.authenticate(fresh)).rejects.toThrow('Access token has expired');
    });

    it('does not make a tampered copy of it valid', async () => {
      const auth = new Authenticator(settings, directory([ALICE]).lookup);
      await auth.authenticate(token);
      const [header, payload, signature] = token.split('.');
      const admin = Buffer.from(JSON.stringify({ role: Role.ADMIN, sub: ALICE })).toString('base64url');
      await expect(auth.authenticate(`${header}.${admin}.${signature}`)).rejects.toThrow(UnauthenticatedError);
      expect(payload).not.toBe(admin);
    });
  });
});
