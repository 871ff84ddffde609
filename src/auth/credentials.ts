// Input rules for accounts: emails validated and lower-cased, passwords 8..72
// bytes (bcrypt reads only 72; longer is refused, never silently truncated).
import { BadInputError } from '../errors.js';

export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 72;
export const EMAIL_MAX_LENGTH = 254;

// Deliberately plain: one @, a dot in the domain, no spaces or control characters.
const EMAIL_PATTERN = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}.]{2,}$/u;

export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length === 0) throw new BadInputError('Email is required', 'email');
  if (email.length > EMAIL_MAX_LENGTH)
    throw new BadInputError(`Email must be at most ${EMAIL_MAX_LENGTH} characters`, 'email');
  if (!EMAIL_PATTERN.test(email)) throw new BadInputError('Email is not a valid address', 'email');
  return email;
}

export function validatePassword(password: string): string {
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes < PASSWORD_MIN_BYTES) {
    throw new BadInputError(`Password must be at least ${PASSWORD_MIN_BYTES} bytes`, 'password');
  }
  if (bytes > PASSWORD_MAX_BYTES) {
    throw new BadInputError(`Password must be at most ${PASSWORD_MAX_BYTES} bytes (bcrypt's limit)`, 'password');
  }
  return password;
}
