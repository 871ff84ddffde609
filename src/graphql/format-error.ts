// The one place errors become what a client sees. Domain errors keep their
// code and safe details; GraphQL's own (parse, validation, variables) keep
// theirs; anything else is masked and logged with the request id.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { classifyFailure } from '../broker/failure.js';
import { errorSummary } from '../broker/retry.js';
import { DomainError, ErrorCode, ServiceUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';

// GraphQL's and Apollo's own errors keep their code: they describe the request, never internals.
const GRAPHQL_OWN_CODES = new Set<string>(
  Object.values(ApolloServerErrorCode).filter((code) => code !== ApolloServerErrorCode.INTERNAL_SERVER_ERROR),
);
export interface FormatErrorOptions {
  /** Strip GraphQL's "Did you mean ...?" hints, which name fields and values: wherever introspection is off. */
  hideSuggestions: boolean;
}

// graphql-js appends its hints at the end of the message: ' Did you mean "x", "y", or "z"?'
const SUGGESTION = / ?Did you mean .+\?$/s;

export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
  requestId: string | undefined,
  options: FormatErrorOptions = { hideSuggestions: false },
): GraphQLFormattedError {
  const unwrapped = unwrapResolverError(error);
  // Errors raised by validation rules and plugins (limits) carry theirs one level down.
  const inner =
    unwrapped instanceof GraphQLError && unwrapped.originalError instanceof DomainError
      ? unwrapped.originalError
      : unwrapped;
  // An outage (the database away, a connection cut) is not a bug: the client is told to retry.
  const original =
    !(inner instanceof DomainError) && !(inner instanceof GraphQLError) && classifyFailure(inner) === 'transient'
      ? new ServiceUnavailableError(inner)
      : inner;
  const where = { path: formatted.path, locations: formatted.locations };
  if (original instanceof DomainError) {
    // The client's mistake or a refusal by rule: one line, no stack. Retryable outages are warnings.
    if (original instanceof ServiceUnavailableError) {
      logger.warn({ requestId, code: original.code, err: errorSummary(original.cause) }, 'dependency unavailable');
    } else logger.info({ requestId, code: original.code, path: formatted.path }, 'client error');
    return { message: original.message, ...where, extensions: { ...original.details, code: original.code } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && GRAPHQL_OWN_CODES.has(code)) {
    logger.info({ requestId, code }, 'client error');
    const message = options.hideSuggestions ? withoutSuggestions(formatted.message) : formatted.message;
    return { message, ...where, extensions: { code } };
  }
  logger.error({ err: original, requestId, path: formatted.path }, 'unexpected error');
  return {
    message: 'Internal server error',
    ...where,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId },
  };
}
