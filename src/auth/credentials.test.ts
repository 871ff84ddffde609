import { describe, expect, it } from 'vitest';
import { BadInputError } from '../errors.js';
import { normalizeEmail, validatePassword } from './credentials.js';

describe('emails', () => {
  it('are trimmed and lower-cased', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
  });

  it.each(['', 'plain', 'a@b', 'a b@example.com', '@example.com', 'a@example.', `${'x'.repeat(250)}@example.com`])(
    'refuses %j',
    (email) => {
      expect(() => normalizeEmail(email)).toThrow(BadInputError);
    },
  );
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
