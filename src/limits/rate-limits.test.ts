import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { InProcessRateLimitStore, rateLimitKey } from './rate-limit-stores.js';
import { rateLimitChecks, secondsUntilAdmitted } from './rate-limits.js';

const limits = loadConfig({}).rateLimits;
const anonymous = { ip: '10.0.0.1', userId: null };
const signedIn = { ip: '10.0.0.1', userId: 'u-1' };

describe('which limits a call counts against', () => {
  it('login: per IP and per lower-cased email', () => {
    expect(rateLimitChecks('login', { input: { email: ' Ada@Example.com ' } }, anonymous, limits)).toEqual([
      { bucket: 'login-ip', identity: 'ip:10.0.0.1', limit: limits.loginIp },
      { bucket: 'login-email', identity: 'email:ada@example.com', limit: limits.login },
    ]);
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

  it('names the Redis key the way the library writes it', () => {
    expect(rateLimitKey({ contextIdentity: 'ip:10.0.0.1', fieldIdentity: 'login-ip' })).toBe(
      'redis-store-id::ip:10.0.0.1:login-ip',
    );
  });
});

describe('retryAfter', () => {
  const limit = { max: 3, windowMs: 60_000 };
  it('is when enough of the calls in the window have left it for one more', () => {
    const now = 100_000;
    expect(secondsUntilAdmitted([now - 50_000, now - 10_000, now - 1_000], limit, now)).toBe(10);
    expect(secondsUntilAdmitted([now - 59_500, now - 59_000, now - 1_000, now - 500], limit, now)).toBe(1);
  });
  it('is never under a second', () => {
    expect(secondsUntilAdmitted([], limit, 0)).toBe(1);
  });
});

describe('the in-process store', () => {
  it('forgets an identity when its window is over, and stays bounded', () => {
    const store = new InProcessRateLimitStore(2);
    const id = (n: number) => ({ contextIdentity: `ip:${n}`, fieldIdentity: 'default' });
    store.setForIdentity(id(1), [1], -1);
    expect(store.getForIdentity(id(1))).toEqual([]);
    store.setForIdentity(id(2), [2], 60_000);
    store.setForIdentity(id(3), [3], 60_000);
    store.setForIdentity(id(4), [4], 60_000);
    expect(store.getForIdentity(id(2))).toEqual([]);
    expect(store.getForIdentity(id(4))).toEqual([4]);
  });
});
