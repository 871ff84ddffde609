import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../errors.js';
import { Role } from './role.js';
import { bearerToken, signAccessToken, verifyAccessToken, type TokenSettings } from './tokens.js';

const settings: TokenSettings = {
  secret: 'a-test-secret-that-is-at-least-32-characters',
  issuer: 'order-service',
  audience: 'order-service-clients',
  accessTtlSeconds: 900,
};
const user = { id: '6f1c1f4e-8a2b-4c1d-9e8f-0a1b2c3d4e5f', role: Role.CUSTOMER };

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('access tokens', () => {
  it('round-trips a valid token', () => {
    const { token, expiresAt } = signAccessToken(settings, user);
    const viewer = verifyAccessToken(settings, token);
    expect(viewer).toEqual({ userId: user.id, role: Role.CUSTOMER, expiresAt: expiresAt.getTime() });
  });

  it('refuses an expired token', () => {
    const { token } = signAccessToken(settings, user, Date.now() - 3600_000);
    expect(() => verifyAccessToken(settings, token)).toThrow(/expired/);
  });

  it('refuses a tampered payload (role raised to ADMIN)', () => {
    const { token } = signAccessToken(settings, user);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${header}.${b64({ ...claims, role: Role.ADMIN })}.${signature}`;
    expect(() => verifyAccessToken(settings, forged)).toThrow(UnauthenticatedError);
  });

  it('refuses a token signed with another secret', () => {
    const { token } = signAccessToken({ ...settings, secret: 'another-secret-that-is-32-characters-long!!' }, user);
    expect(() => verifyAccessToken(settings, token)).toThrow(UnauthenticatedError);
  });

  it('refuses alg: none', () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
      sub: user.id,
      role: Role.ADMIN,
      iss: settings.issuer,
      aud: settings.audience,
      iat: now,
      exp: now + 600,
    })}.`;
    expect(() => verifyAccessToken(settings, unsigned)).toThrow(UnauthenticatedError);
  });

  it('refuses another HMAC algorithm than the pinned HS256', () => {
    const token = jwt.sign({ role: Role.CUSTOMER }, settings.secret, {
      algorithm: 'HS512',
      subject: user.id,
      issuer: settings.issuer,
      audience: settings.audience,
      expiresIn: 600,
    });
    expect(() => verifyAccessToken(settings, token)).toThrow(UnauthenticatedError);
  });

  it('refuses a wrong issuer or audience', () => {
    const otherIssuer = signAccessToken({ ...settings, issuer: 'someone-else' }, user).token;
    const otherAudience = signAccessToken({ ...settings, audience: 'another-app' }, user).token;
    expect(() => verifyAccessToken(settings, otherIssuer)).toThrow(UnauthenticatedError);
    expect(() => verifyAccessToken(settings, otherAudience)).toThrow(UnauthenticatedError);
  });

  it('refuses a correctly signed token with an unknown role', () => {
    const header = b64({ alg: 'HS256', typ: 'JWT' });
    const now = Math.floor(Date.now() / 1000);
    const body = b64({ sub: user.id, role: 'ROOT', iss: settings.issuer, aud: settings.audience, exp: now + 60 });
    const signature = createHmac('sha256', settings.secret).update(`${header}.${body}`).digest('base64url');
    expect(() => verifyAccessToken(settings, `${header}.${body}.${signature}`)).toThrow(UnauthenticatedError);
  });
});

describe('the Authorization header', () => {
  it('reads a Bearer token and nothing else', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(() => bearerToken('Basic dXNlcjpwYXNz')).toThrow(UnauthenticatedError);
    expect(() => bearerToken('Bearer')).toThrow(UnauthenticatedError);
  });
});
