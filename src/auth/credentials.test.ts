import { describe, expect, it } from 'vitest';
import { BadInputError } from '../errors.js';
import { normalizeEmail, validatePassword } from './credentials.js';

describe('emails', () => {
  it('are trimmed and lower-cased', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
    // Around the address, whatever JavaScript trims (a pasted newline, a BOM) goes: it cannot make a look-alike.
    expect(normalizeEmail('\uFEFFada@example.com\n')).toBe('ada@example.com');
  });

  it.each(['', 'plain', 'a@b', 'a b@example.com', '@example.com', 'a@example.', `${'x'.repeat(250)}@example.com`])(
    'refuses %j',
    (email) => {
      expect(() => normalizeEmail(email)).toThrow(BadInputError);
    },
  );
});

describe('look-alike emails (SPEC section 13)', () => {
  const refusal = (email: string) => {
    try {
      normalizeEmail(email);
    } catch (error) {
      if (error instanceof BadInputError) return { code: error.code, message: error.message, ...error.details };
      throw error;
    }
    throw new Error(`${JSON.stringify(email)} was accepted`);
  };

  it('fullwidth letters and signs are the plain address (NFKC), so they meet the existing account', () => {
    expect(normalizeEmail('ａｄｍｉｎ@example.com')).toBe('admin@example.com');
    expect(normalizeEmail('ＡＤＭＩＮ＠ＥＸＡＭＰＬＥ．ＣＯＭ')).toBe('admin@example.com');
    // Compatibility letters with no lower case of their own are lower-cased after NFKC.
    expect(normalizeEmail('ℂafe@example.com')).toBe('cafe@example.com');
  });

  it('a combining accent composes into its letter: both spellings of é are one address', () => {
    expect(normalizeEmail('cafe\u0301@example.com')).toBe('caf\u00e9@example.com');
    expect(normalizeEmail('CAFE\u0301@example.com')).toBe(normalizeEmail('caf\u00e9@example.com'));
  });

  it('keeps letters of one script, whichever it is', () => {
    expect(normalizeEmail('josé@example.com')).toBe('josé@example.com');
    expect(normalizeEmail('дмитрий@пример.рф')).toBe('дмитрий@пример.рф');
    expect(normalizeEmail('σοφία@example.gr')).toBe('σοφία@example.gr');
    // Latin with a script that cannot pass for it is not a look-alike.
    expect(normalizeEmail('yuki雪@example.jp')).toBe('yuki雪@example.jp');
  });

  it.each([
    ['a zero-width space', 'ad\u200Bmin@example.com'],
    ['a zero-width joiner', 'ad\u200Dmin@example.com'],
    ['a zero-width non-joiner', 'ad\u200Cmin@example.com'],
    ['a soft hyphen', 'ad\u00ADmin@example.com'],
    ['a word joiner', 'ad\u2060min@example.com'],
    ['a byte-order mark', 'admin\uFEFF@example.com'],
    ['a right-to-left override', 'admin\u202E@example.com'],
    ['a right-to-left mark', 'admin@exam\u200Fple.com'],
    ['a first-strong isolate', 'admin@\u2068example.com'],
    ['a variation selector', 'admin\uFE0F@example.com'],
    ['a control character', 'ad\u0007min@example.com'],
    ['a NUL byte', 'admin\u0000@example.com'],
    ['a line separator', 'ad\u2028min@example.com'],
  ])('refuses %s', (_what, email) => {
    expect(refusal(email)).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'email',
      message: 'Email must not contain invisible, control or text-direction characters',
    });
  });

  it.each([
    ['a Cyrillic а in a Latin local part', '\u0430dmin@example.com'],
    ['a Greek ο in a Latin local part', 'admin\u03BF@example.com'],
    ['a Cyrillic о in a Latin domain label', 'admin@examp\u043Ele.com'],
    ['a Greek ο in the top-level label', 'admin@example.c\u03BFm'],
    ['Greek and Cyrillic together', '\u03B1\u0431@example.com'],
  ])('refuses %s', (_what, email) => {
    expect(refusal(email)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email', message: /mix Latin, Greek/ });
  });

  it('refuses a combining mark NFKC cannot compose onto the letter before it', () => {
    expect(refusal('admin\u0338@example.com')).toMatchObject({ field: 'email', message: /accents/ });
    expect(refusal('caf\u00e9\u0301@example.com')).toMatchObject({ field: 'email', message: /accents/ });
  });
});

describe('passwords', () => {
  it('accept 8 to 72 bytes', () => {
    expect(validatePassword('12345678')).toBe('12345678');
    expect(validatePassword('x'.repeat(72))).toHaveLength(72);
  });

  it('refuse fewer than 8 bytes', () => {
    expect(() => validatePassword('1234567')).toThrow(/at least 8/);
  });

  it('refuse more than 72 bytes rather than truncating', () => {
    expect(() => validatePassword('x'.repeat(73))).toThrow(/at most 72/);
  });

  it('count bytes, not characters (multi-byte characters)', () => {
    // 25 × 3-byte characters = 75 bytes, only 25 characters.
    expect(() => validatePassword('€'.repeat(25))).toThrow(/at most 72/);
    expect(validatePassword('€'.repeat(24))).toHaveLength(24);
  });
});
