import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { RateLimitedError } from '../errors.js';
import { InProcessRateLimitStore, msUntilAdmitted, rateLimitKey } from './rate-limit-stores.js';
import { rateLimitChecks, RateLimits } from './rate-limits.js';

const limits = loadConfig({}).rateLimits;
const anonymous = { ip: '10.0.0.1', userId: null };
const signedIn = { ip: '10.0.0.1', userId: 'u-1' };

describe('which limits a call counts against', () => {
  it('login: per IP and per email', () => {
    expect(rateLimitChecks('login', { input: { email: ' Ada@Example.com ' } }, anonymous, limits)).toEqual([
      { bucket: 'login-ip', identity: 'ip:10.0.0.1', limit: limits.loginIp },
      { bucket: 'login-email', identity: 'email:ada@example.com', limit: limits.login },
    ]);
  });

  it('login: every spelling of one address shares its counter, as it shares its account', () => {
    const identity = (email: string) => rateLimitChecks('login', { input: { email } }, anonymous, limits)[1]!.identity;
    expect(identity('ＡＤＭＩＮ@example.com')).toBe('email:admin@example.com');
    expect(identity('cafe\u0301@example.com')).toBe(identity('café@example.com'));
    // An address login refuses anyway is counted as typed.
    expect(identity('ad\u200Bmin@example.com')).toBe('email:ad\u200Bmin@example.com');
  });

  it('register per IP, createOrder per user, anything else per caller', () => {
    expect(rateLimitChecks('register', {}, signedIn, limits)).toEqual([
      { bucket: 'register', identity: 'ip:10.0.0.1', limit: limits.register },
    ]);
    expect(rateLimitChecks('createOrder', {}, signedIn, limits)).toEqual([
      { bucket: 'create-order', identity: 'user:u-1', limit: limits.createOrder },
    ]);
    expect(rateLimitChecks('orders', {}, signedIn, limits)[0]!.identity).toBe('user:u-1');
    expect(rateLimitChecks('products', {}, anonymous, limits)[0]).toMatchObject({
      bucket: 'default',
      identity: 'ip:10.0.0.1',
    });
  });

  it('names each counter by bucket and identity', () => {
    expect(rateLimitKey({ bucket: 'login-ip', identity: 'ip:10.0.0.1' })).toBe('rate-limit:login-ip:ip:10.0.0.1');
  });
});

describe('the wait until a full counter admits a call', () => {
  const limit = { max: 3, windowMs: 60_000 };
  const now = 100_000;
  it('is nothing while there is room', () => {
    expect(msUntilAdmitted([now - 1_000, now - 500], limit, now)).toBe(0);
  });
  it('is until enough of the calls in the window have left it for one more', () => {
    expect(msUntilAdmitted([now - 50_000, now - 10_000, now - 1_000], limit, now)).toBe(10_000);
    expect(msUntilAdmitted([now - 59_500, now - 59_000, now - 1_000, now - 500], limit, now)).toBe(1_000);
  });
});

describe('RateLimits', () => {
  it('refuses with RATE_LIMITED and retryAfter in whole seconds, at least 1', async () => {
    let clock = 0;
    const small = { ...limits, createOrder: { max: 1, windowMs: 60_000 } };
    const rateLimits = new RateLimits(new InProcessRateLimitStore({ now: () => clock }), small);
    await rateLimits.check('createOrder', {}, signedIn);
    clock = 59_500;
    const refusal = await rateLimits.check('createOrder', {}, signedIn).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(RateLimitedError);
    expect((refusal as RateLimitedError).details).toEqual({ retryAfter: 1 });
    clock = 1_000;
    await rateLimits.check('createOrder', {}, { ...signedIn, userId: 'u-2' });
    const later = await rateLimits.check('createOrder', {}, { ...signedIn, userId: 'u-2' }).catch((e: unknown) => e);
    expect((later as RateLimitedError).details).toEqual({ retryAfter: 60 });
  });

  it('lets exactly the limit through when the calls of one HTTP batch start together', async () => {
    const small = { ...limits, login: { max: 10, windowMs: 60_000 } };
    const rateLimits = new RateLimits(new InProcessRateLimitStore(), small);
    const input = { input: { email: 'ada@example.com' } };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, () => rateLimits.check('login', input, anonymous)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
  });
});
