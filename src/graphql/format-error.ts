// The one place errors become what a client sees. Domain errors keep their
// code and safe details; GraphQL's own (parse, validation, variables) keep
// theirs; anything else is masked and logged with the request id.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { DomainError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';

// GraphQL's and Apollo's own errors keep their code: they describe the request, never internals.
const GRAPHQL_OWN_CODES = new Set<string>(
  Object.values(ApolloServerErrorCode).filter((code) => code !== ApolloServerErrorCode.INTERNAL_SERVER_ERROR),
);
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
