// Accounts and sessions through the GraphQL API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../../src/auth/user.entity.js';
import { Order } from '../../src/orders/order.entity.js';
import {
  CreateOrderDocument,
  LoginDocument,
  MeDocument,
  OrdersDocument,
  RefreshTokenDocument,
  RegisterDocument,
} from '../generated/graphql.js';
import { codes } from '../support/client.js';
import { startTestApp, uniqueEmail, type TestApp } from '../support/harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const users = () => t.app.orm.em.fork().count(User, {});

describe('register', () => {
  it('creates a customer with a lower-cased email and returns a working session', async () => {
    const email = uniqueEmail('Mixed.Case').replace('example', 'EXAMPLE');
    const { register } = await t.client.ok(RegisterDocument, { input: { email, password: 'password-123' } });
    expect(register.user.email).toBe(email.toLowerCase());
    expect(register.user.role).toBe('CUSTOMER');
    expect(new Date(register.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const { me } = await t.client.as(register.accessToken).ok(MeDocument);
    expect(me).toEqual({ id: register.user.id, email: email.toLowerCase(), role: 'CUSTOMER' });
    const stored = await t.app.orm.em.fork().findOneOrFail(User, { id: register.user.id });
    expect(stored.passwordHash).toMatch(/^\$2[aby]\$1\d\$/); // bcrypt, cost >= 10
  });

  it('refuses a taken email, whatever its case, with EMAIL_TAKEN', async () => {
    const email = uniqueEmail();
    await t.client.ok(RegisterDocument, { input: { email, password: 'password-123' } });
    const before = await users();
    const again = await t.client.request(RegisterDocument, {
      input: { email: email.toUpperCase(), password: 'x'.repeat(10) },
    });
    expect(codes(again)).toEqual(['EMAIL_TAKEN']);
    expect(await users()).toBe(before);
  });

  it.each([
    ['an invalid email', 'not-an-email', 'password-123'],
    ['a 7-byte password', 'fresh@example.com', '1234567'],
    ['a 73-byte password (never silently truncated)', 'fresh@example.com', 'p'.repeat(73)],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_name, email, password) => {
    const before = await users();
    const result = await t.client.request(RegisterDocument, { input: { email, password } });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.data).toBeNull();
    expect(await users()).toBe(before);
  });
});

describe('login', () => {
  it('logs in with the right password, whatever the email case', async () => {
    const email = uniqueEmail();
    await t.client.ok(RegisterDocument, { input: { email, password: 'password-123' } });
    const { login } = await t.client.ok(LoginDocument, {
      input: { email: email.toUpperCase(), password: 'password-123' },
    });
    expect(login.user.email).toBe(email);
  });

  it('answers INVALID_CREDENTIALS alike for a wrong password and an unknown email', async () => {
    const email = uniqueEmail();
    await t.client.ok(RegisterDocument, { input: { email, password: 'password-123' } });
    const wrong = await t.client.request(LoginDocument, { input: { email, password: 'password-124' } });
    const unknown = await t.client.request(LoginDocument, {
      input: { email: uniqueEmail(), password: 'password-123' },
    });
    expect(codes(wrong)).toEqual(['INVALID_CREDENTIALS']);
    expect(codes(unknown)).toEqual(['INVALID_CREDENTIALS']);
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
  });

  it('refuses a password longer than 72 bytes even when its first 72 bytes are right', async () => {
    const email = uniqueEmail();
    const password = 'p'.repeat(72);
    await t.client.ok(RegisterDocument, { input: { email, password } });
    const longer = await t.client.request(LoginDocument, { input: { email, password: `${password}-and-more` } });
    expect(codes(longer)).toEqual(['INVALID_CREDENTIALS']);
    await t.client.ok(LoginDocument, { input: { email, password } });
  });
});

describe('refreshToken', () => {
  it('rotates: a refresh token works once, and reusing it ends that login', async () => {
    const { register } = await t.client.ok(RegisterDocument, {
      input: { email: uniqueEmail(), password: 'password-123' },
    });
    const first = await t.client.ok(RefreshTokenDocument, { token: register.refreshToken });
    expect(first.refreshToken.refreshToken).not.toBe(register.refreshToken);
    expect(first.refreshToken.user.id).toBe(register.user.id);

    const replay = await t.client.request(RefreshTokenDocument, { token: register.refreshToken });
    expect(codes(replay)).toEqual(['UNAUTHENTICATED']);
    // The replay looked like theft: the token issued by the first refresh is revoked too.
    const afterTheft = await t.client.request(RefreshTokenDocument, { token: first.refreshToken.refreshToken });
    expect(codes(afterTheft)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a made-up token', async () => {
    const result = await t.client.request(RefreshTokenDocument, { token: 'rt_made-up' });
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
  });

  it('concurrent refreshes with one token: exactly one succeeds', async () => {
    const { register } = await t.client.ok(RegisterDocument, {
      input: { email: uniqueEmail(), password: 'password-123' },
    });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => t.client.request(RefreshTokenDocument, { token: register.refreshToken })),
    );
    expect(results.filter((r) => r.data?.refreshToken)).toHaveLength(1);
  });
});

describe('access', () => {
  it('needs a token for me', async () => {
    expect(codes(await t.client.request(MeDocument))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await t.client.as('garbage').request(MeDocument))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await t.client.request(MeDocument, undefined, { authorization: 'Basic abc' }))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('refuses a valid token whose account no longer exists with UNAUTHENTICATED, never a 500', async () => {
    const email = uniqueEmail('deleted');
    const { register } = await t.client.ok(RegisterDocument, { input: { email, password: 'password-123' } });
    // An operator removes the account (and its sessions) while its access token is still valid.
    await t.app.orm.em.fork().execute('delete from refresh_tokens where user_id = ?', [register.user.id]);
    await t.app.orm.em.fork().nativeDelete(User, { id: register.user.id });
    const gone = t.client.as(register.accessToken);
    expect(codes(await gone.request(MeDocument))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await gone.request(OrdersDocument, {}))).toEqual(['UNAUTHENTICATED']);
    const placed = await gone.request(CreateOrderDocument, {
      input: { items: [{ sku: 'MUG-LOGO', quantity: 1 }], shippingAddress: '1 Nowhere St' },
    });
    expect(codes(placed)).toEqual(['UNAUTHENTICATED']);
    expect(await t.app.orm.em.fork().count(Order, { customer: register.user.id })).toBe(0);
  });
});
