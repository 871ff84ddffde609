// Access tokens are JWTs (HS256, algorithm pinned on verify, issuer and
// audience checked). Refresh tokens are opaque random strings stored hashed.
import { createHash, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { UnauthenticatedError } from '../errors.js';
import { Role } from './role.js';

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
}

export interface Viewer {
  userId: string;
  role: Role;
  /** When the token that identified this viewer expires (ms since epoch). */
  expiresAt: number;
}

const ALGORITHM = 'HS256';

// Handed a string, jsonwebtoken first tries to parse it as a PEM public key and
// builds a secret key from it only after that throws, on every call: about a
// tenth of a cached order read's CPU. A KeyObject made once skips both.
const secretKeys = new Map<string, KeyObject>();
function secretKey(secret: string): KeyObject {
  let key = secretKeys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    secretKeys.set(secret, key);
  }
  return key;
}

export function signAccessToken(settings: TokenSettings, user: { id: string; role: Role }, now = Date.now()) {
  const issuedAt = Math.floor(now / 1000);
  const expiresAt = new Date((issuedAt + settings.accessTtlSeconds) * 1000);
  // iat in the payload makes jsonwebtoken compute exp from it, so the token and expiresAt agree.
  const token = jwt.sign({ role: user.role, iat: issuedAt }, secretKey(settings.secret), {
    algorithm: ALGORITHM,
    subject: user.id,
    issuer: settings.issuer,
    audience: settings.audience,
    expiresIn: settings.accessTtlSeconds,
    jwtid: randomUUID(),
  });
  return { token, expiresAt };
}

export function verifyAccessToken(settings: TokenSettings, token: string): Viewer {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, secretKey(settings.secret), {
      algorithms: [ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
    });
  } catch (error) {
    const expired = error instanceof jwt.TokenExpiredError;
    throw new UnauthenticatedError(expired ? 'Access token has expired' : 'Access token is not valid');
  }
  if (typeof payload === 'string' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number') {
    throw new UnauthenticatedError('Access token is not valid');
  }
  const role = payload.role;
  if (role !== Role.ADMIN && role !== Role.CUSTOMER) throw new UnauthenticatedError('Access token is not valid');
  return { userId: payload.sub, role, expiresAt: payload.exp * 1000 };
}

/** Reads `Bearer <token>`; undefined when there is no header at all. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
  return match[1];
}

export function newRefreshTokenValue(): string {
  return `rt_${randomBytes(32).toString('base64url')}`;
}

export function hashRefreshToken(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
