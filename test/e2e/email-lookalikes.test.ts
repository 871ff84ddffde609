// Look-alike accounts cannot be made (SPEC section 13): another spelling of an
// existing address is that account, and an address that only looks like one
// (invisible characters, mixed scripts) is refused, through register and login.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginDocument, RegisterDocument } from '../generated/graphql.js';
import { codes } from '../support/client.js';
import { startTestApp, uniqueEmail, type TestApp } from '../support/harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const PASSWORD = 'password-123';
const register = (email: string) => t.client.request(RegisterDocument, { input: { email, password: PASSWORD } });
const login = (email: string) => t.client.request(LoginDocument, { input: { email, password: PASSWORD } });

/** The same address in fullwidth forms (U+FF01..U+FF5E), as an IME or a copy from a web page gives it. */
const fullwidth = (ascii: string) => ascii.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

describe('another spelling of an existing address', () => {
  it('fullwidth: EMAIL_TAKEN on register, the same account on login', async () => {
    const email = uniqueEmail('admin');
    const { register: account } = await t.client.ok(RegisterDocument, { input: { email, password: PASSWORD } });
    const spelled = fullwidth(email);
    expect(spelled).not.toBe(email);
    expect(codes(await register(spelled))).toEqual(['EMAIL_TAKEN']);
    expect(codes(await register(fullwidth(email.toUpperCase())))).toEqual(['EMAIL_TAKEN']);
    const signedIn = await login(spelled);
    expect(codes(signedIn)).toEqual([]);
    expect(signedIn.data?.login.user).toMatchObject({ id: account.user.id, email });
  });

  it('a combining accent: é typed as e + U+0301 is the é account', async () => {
    const local = `jos\u00e9-${uniqueEmail().slice(9)}`;
    const { register: account } = await t.client.ok(RegisterDocument, { input: { email: local, password: PASSWORD } });
    const decomposed = local.replace('\u00e9', 'e\u0301');
    expect(codes(await register(decomposed))).toEqual(['EMAIL_TAKEN']);
    expect((await login(decomposed)).data?.login.user.id).toBe(account.user.id);
  });
});

describe('an address that only looks like another', () => {
  const cases: [string, (email: string) => string][] = [
    ['a zero-width space', (e) => e.replace('@', '\u200B@')],
    ['a soft hyphen', (e) => e.replace('-', '\u00AD-')],
    ['a right-to-left override', (e) => e.replace('admin', 'admin\u202E')],
    ['a Cyrillic а', (e) => e.replace('a', '\u0430')],
    ['a Greek ο in the domain', (e) => e.replace('example', 'exam\u03BFple')],
  ];

  it.each(cases)('%s: BAD_USER_INPUT on register and on login, and no account made', async (_what, alter) => {
    const email = uniqueEmail('admin');
    await t.client.ok(RegisterDocument, { input: { email, password: PASSWORD } });
    const lookAlike = alter(email);
    expect(lookAlike).not.toBe(email);
    const refused = await register(lookAlike);
    expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors?.[0]?.extensions?.field).toBe('email');
    expect(codes(await login(lookAlike))).toEqual(['BAD_USER_INPUT']);
  });
});
