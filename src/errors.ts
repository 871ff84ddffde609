// Domain errors: typed classes with the code a client sees in
// `extensions.code`. graphql/format-error.ts is the one place that maps them.
// Codes GraphQL servers share (bad input, internal error) are Apollo's own.
import { ApolloServerErrorCode } from '@apollo/server/errors';

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: ApolloServerErrorCode.BAD_USER_INPUT,
  NOT_FOUND: 'NOT_FOUND',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  INVALID_STATUS_TRANSITION: 'INVALID_STATUS_TRANSITION',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  /** An operation over a cost limit (depth, aliases, complexity, batch size, operations per socket); see limits/. */
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** A dependency (the database) is briefly away: the same request may succeed after `retryAfter` seconds. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: ApolloServerErrorCode.INTERNAL_SERVER_ERROR,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  /** Extra, client-safe fields for `extensions`. */
  readonly details: Record<string, unknown>;

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = ErrorCode.UNAUTHENTICATED;
  constructor(message = 'Authentication required: send a valid access token') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = ErrorCode.FORBIDDEN;
}

/** Bad input; `field` names the offending input path when there is one. */
export class BadInputError extends DomainError {
  readonly code = ErrorCode.BAD_USER_INPUT;
  constructor(message: string, field?: string) {
    super(message, field ? { field } : {});
  }
}

/**
 * An idempotencyKey already used for a different order (other items or address): a client bug, as
 * payment APIs treat it. `extensions.reason` tells it from other bad input.
 */
export class IdempotencyKeyReusedError extends DomainError {
  readonly code = ErrorCode.BAD_USER_INPUT;
  constructor() {
    super('This idempotencyKey was already used for a different order: use a new key for a new order', {
      field: 'idempotencyKey',
      reason: 'IDEMPOTENCY_KEY_REUSED',
    });
  }
}

export class NotFoundError extends DomainError {
  readonly code = ErrorCode.NOT_FOUND;
}

export class EmailTakenError extends DomainError {
  readonly code = ErrorCode.EMAIL_TAKEN;
  constructor() {
    super('An account with this email already exists');
  }
}

export class InvalidCredentialsError extends DomainError {
  readonly code = ErrorCode.INVALID_CREDENTIALS;
  constructor(message = 'Email or password is incorrect') {
    super(message);
  }
}

export class OutOfStockError extends DomainError {
  readonly code = ErrorCode.OUT_OF_STOCK;
  constructor(sku: string, requested: number) {
    super(`Not enough stock for ${sku}`, { sku, requested });
  }
}

export class InvalidStatusTransitionError extends DomainError {
  readonly code = ErrorCode.INVALID_STATUS_TRANSITION;
  constructor(from: string, to: string, reason?: string) {
    super(reason ?? `An order cannot move from ${from} to ${to}`, { from, to });
  }
}

export class ConflictError extends DomainError {
  readonly code = ErrorCode.CONFLICT;
}

/** Seconds a client should wait before retrying after SERVICE_UNAVAILABLE (also the Retry-After header). */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * The request met an outage (the database unreachable, a connection cut): nothing
 * of it took effect that the client could see half-done (each change is one
 * transaction), so the same request may simply be sent again.
 */
export class ServiceUnavailableError extends DomainError {
  readonly code = ErrorCode.SERVICE_UNAVAILABLE;
  constructor(cause?: unknown) {
    super('The service is briefly unavailable: retry the same request shortly', {
      retryAfter: SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS,
    });
    this.cause = cause;
  }
}

export class RateLimitedError extends DomainError {
  readonly code = ErrorCode.RATE_LIMITED;
  constructor(retryAfterSeconds: number) {
    super(`Too many requests: retry in ${retryAfterSeconds}s`, { retryAfter: retryAfterSeconds });
  }
}

export type OperationLimitName = 'depth' | 'aliases' | 'complexity' | 'batch' | 'operations';

/** Refused before anything runs; `limit` says which bound, `maximum` and `actual` by how much. */
export class QueryTooComplexError extends DomainError {
  readonly code = ErrorCode.QUERY_TOO_COMPLEX;
  constructor(limit: OperationLimitName, maximum: number, actual: number) {
    super(`The operation exceeds the ${limit} limit: ${actual} > ${maximum}`, { limit, maximum, actual });
  }
}

/**
 * A switch over a union met a member it does not know: adding an event type
 * or an outcome must not compile until every switch handles it.
 */
export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
    this.name = 'UnreachableCaseError';
  }
}
