// Input rules for accounts.
// Email: NFKC, trimmed, lower-cased; one @, a dot in the domain; nothing unseen; no part mixing Latin/Greek/Cyrillic.
// ("Unseen": whitespace, control, invisible or bidi characters. "Part": the local part or a domain label, which
// may not keep a loose accent on one of those letters either: see STRAY_MARK.)
// Passwords are 8..72 bytes (bcrypt reads only 72; longer is refused, never silently truncated).
import { BadInputError } from '../errors.js';

export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 72;
export const EMAIL_MAX_LENGTH = 254;

// Deliberately plain: one @, a dot in the domain, no spaces.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@.]{2,}$/u;

/**
 * Characters that change how an address looks or reads without showing:
 * controls, format characters (zero-width space and joiners, soft hyphen,
 * word joiner, BOM, bidi embeddings, overrides and isolates), the other
 * default-ignorable ones (variation selectors, fillers), line and paragraph
 * separators, private-use, unassigned and lone surrogate code points.
 */
const UNSEEN = /[\p{C}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}]/u;

/** The alphabets whose letters pass for one another (`а` and `a`, `ο` and `o`). */
const LOOK_ALIKE_SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Greek}/u, /\p{Script=Cyrillic}/u];

/**
 * A combining mark still standing after one of those letters: NFKC composes
 * every accented letter these alphabets use in addresses (`e` + U+0301 is
 * `é`, a Latin letter like any other), so a mark it could not compose is an
 * overlay or a stack that makes a near-copy of another address.
 */
const STRAY_MARK = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]\p{M}/u;

/** The one spelling of an address (see the top of this file), or BAD_USER_INPUT saying why there is none. */
export function normalizeEmail(raw: string): string {
  // Lower-casing can undo NFKC (`İ` becomes `i` and a combining dot), so normalize again after it.
  const email = raw.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
  if (email.length === 0) throw new BadInputError('Email is required', 'email');
  if (email.length > EMAIL_MAX_LENGTH) {
    throw new BadInputError(`Email must be at most ${EMAIL_MAX_LENGTH} characters`, 'email');
  }
  if (UNSEEN.test(email)) {
    throw new BadInputError('Email must not contain invisible, control or text-direction characters', 'email');
  }
  if (!EMAIL_PATTERN.test(email)) throw new BadInputError('Email is not a valid address', 'email');
  const [local, domain] = email.split('@') as [string, string];
  for (const part of [local, ...domain.split('.')]) {
    if (LOOK_ALIKE_SCRIPTS.filter((script) => script.test(part)).length > 1) {
      throw new BadInputError('Email must not mix Latin, Greek and Cyrillic letters in one part', 'email');
    }
    if (STRAY_MARK.test(part)) {
      throw new BadInputError('Email must not carry accents that do not belong to a letter', 'email');
    }
  }
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
