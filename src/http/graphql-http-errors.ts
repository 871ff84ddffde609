// What /graphql answers when a request never reaches GraphQL: a method it
// does not serve, a body that is not JSON, too large, or in another charset.
// Always GraphQL's own shape ({"errors": [...]}) with the HTTP status that
// says what was wrong, never Express's HTML page (which carries a stack
// trace outside production).
import { ApolloServerErrorCode } from '@apollo/server/errors';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';

/** The methods /graphql serves (OPTIONS is CORS's). */
const ALLOWED_METHODS = ['GET', 'POST'];

export function sendGraphQLHttpError(res: Response, status: number, message: string, code: string): void {
  res
    .status(status)
    .type('application/json')
    .send(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** 405 with Allow for any method but GET and POST (and HEAD, which Express turns into GET). */
export function graphqlMethodGuard(): RequestHandler {
  return (req, res, next) => {
    if (ALLOWED_METHODS.includes(req.method) || req.method === 'HEAD') return next();
    res.setHeader('allow', ALLOWED_METHODS.join(', '));
    sendGraphQLHttpError(
      res,
      405,
      `/graphql answers ${ALLOWED_METHODS.join(' and ')}, not ${req.method}`,
      ApolloServerErrorCode.BAD_REQUEST,
    );
  };
}

/** 415 for a POST whose body is not JSON (the charset, when given, is checked by the JSON parser). */
export function graphqlContentTypeGuard(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || req.is('application/json')) return next();
    sendGraphQLHttpError(
      res,
      415,
      'Send the operation as JSON: Content-Type: application/json',
      ApolloServerErrorCode.BAD_REQUEST,
    );
  };
}

interface HttpError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
}

const CLIENT_MESSAGES: Record<string, string> = {
  'entity.parse.failed': 'The body is not a JSON object or array',
  'entity.too.large': 'The body is too large',
  'charset.unsupported': 'The body must be UTF-8 JSON',
  'encoding.unsupported': 'Unsupported Content-Encoding',
  'request.aborted': 'The request was aborted',
};

/**
 * The last handler on /graphql: errors from the body parser (4xx, the client's
 * doing) keep their status and say what was wrong; anything else is a 500
 * masked like a resolver's, and logged.
 */
export function graphqlHttpErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const http = (typeof error === 'object' && error !== null ? error : {}) as HttpError;
    const status = http.status ?? http.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // The client's mistake: one line at info, no stack.
      logger.info({ status, type: http.type, method: req.method }, 'bad HTTP request');
      const message = (http.type && CLIENT_MESSAGES[http.type]) ?? 'Bad request';
      sendGraphQLHttpError(res, status, message, ApolloServerErrorCode.BAD_REQUEST);
      return;
    }
    logger.error({ err: error }, 'unexpected HTTP error');
    sendGraphQLHttpError(res, 500, 'Internal server error', ErrorCode.INTERNAL_SERVER_ERROR);
  };
}
