// GraphQL over HTTP lets a server answer an application/graphql-response+json
// request with a 5xx when it produced no data; under application/json it
// must stay 200. So an outage is a 503 with Retry-After for clients that
// asked for the new media type, and a 200 with SERVICE_UNAVAILABLE (and
// `extensions.retryAfter`) for the rest: both can tell "try again".
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { classifyFailure } from '../broker/failure.js';
import { ErrorCode, SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS, ServiceUnavailableError } from '../errors.js';

const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';

export function serviceUnavailableStatusPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart({ request }) {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (data !== undefined && data !== null) return;
          if (!errors?.some((e) => e.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) return;
          if (!prefersGraphQLResponseJson(request.http?.headers.get('accept'))) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS));
        },
      };
    },
  };
}

/** Apollo's own choice of media type: graphql-response+json unless application/json is preferred. */
export function prefersGraphQLResponseJson(accept: string | undefined): boolean {
  if (!accept) return false;
  let ours = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) || 0 : 1;
    if (type === GRAPHQL_RESPONSE_JSON) ours = Math.max(ours, q);
    else if (type === 'application/json') json = Math.max(json, q);
  }
  return ours > 0 && ours >= json;
}

/** Answers carry the caller's own data: no cache between client and server may keep one. */
export function noStorePlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          response.http.headers.set('cache-control', 'no-store');
        },
      };
    },
  };
}

/**
 * An outage met while building a request's context (the caller's account is looked up): Apollo
 * answers those before any plugin runs, so the status is decided here, by the same rule.
 */
export function contextFailure(error: unknown, accept: string | undefined): unknown {
  if (classifyFailure(error) !== 'transient') return error;
  const modern = prefersGraphQLResponseJson(accept);
  return new GraphQLError('unavailable', {
    originalError: new ServiceUnavailableError(error),
    extensions: {
      http: {
        status: modern ? 503 : 200,
        headers: new HeaderMap(modern ? [['retry-after', String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS)]] : []),
      },
    },
  });
}
