// The one place errors become what a client sees. Domain errors keep their
// code and safe details; GraphQL's own (parse, validation, variables) keep
// theirs; anything else is masked and logged with the request id.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';

const GRAPHQL_OWN_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'BAD_REQUEST',
]);

export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
  requestId: string | undefined,
): GraphQLFormattedError {
  const unwrapped = unwrapResolverError(error);
  // Errors raised by validation rules and plugins (limits) carry theirs one level down.
  const original =
    unwrapped instanceof GraphQLError && unwrapped.originalError instanceof DomainError
      ? unwrapped.originalError
      : unwrapped;
  const where = { path: formatted.path, locations: formatted.locations };
  if (original instanceof DomainError) {
    return { message: original.message, ...where, extensions: { ...original.details, code: original.code } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && GRAPHQL_OWN_CODES.has(code)) {
    return { message: formatted.message, ...where, extensions: { code } };
  }
  logger.error({ err: original, requestId, path: formatted.path }, 'unexpected error');
  return {
    message: 'Internal server error',
    ...where,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId },
  };
}
