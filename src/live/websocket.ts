// GraphQL over a websocket (graphql-ws protocol), on the HTTP server's own
// port and path. The socket authenticates once, in connection_init, and is
// closed when that token expires; every operation on it (subscriptions,
// queries, mutations) passes the same validation, cost limits, rate limits
// and error masking as over HTTP.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  GraphQLError,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { Context as SocketContext } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerToken, type Viewer } from '../auth/index.js';
import { classifyFailure } from '../broker/failure.js';
import { errorSummary } from '../broker/retry.js';
import { ErrorCode, UnauthenticatedError } from '../errors.js';
import { createContext, type Services } from '../graphql/context.js';
import { formatError } from '../graphql/format-error.js';
import { nulCharacterError } from '../graphql/input-guard.js';
import { assertCost, costReport, limitError, OPERATION_LIMITS, shapeRules } from '../limits/operation-limits.js';
import type { Logger } from '../logger.js';
import { SocketCloseCode } from './close-codes.js';

type SocketExtra = {
  socket: WebSocket;
  request: IncomingMessage;
  viewer?: Viewer;
  expiryTimer?: NodeJS.Timeout;
  /** Subscriptions running on this socket, for the active-subscriptions gauge. */
  subscriptionIds?: Set<string>;
  /** The cost of each query or mutation running on this socket, reported with its result. */
  costs?: Map<string, number>;
};

/** What the socket reports to /metrics. */
export interface SocketObserver {
  wsConnectionOpened(): void;
  wsConnectionClosed(): void;
  subscriptionStarted(): void;
  subscriptionEnded(): void;
}

type Ctx = SocketContext<Record<string, unknown> | undefined, SocketExtra>;

export interface GraphQLWebSocket {
  /** Give it to Apollo: the sockets close when Apollo drains. */
  drainPlugin: ApolloServerPlugin<BaseContext>;
  /** Open sockets, for tests and metrics. */
  readonly clientCount: number;
}

/** `connectionParams.authorization`: "Bearer <token>" or the bare token. */
export function socketToken(params: Record<string, unknown> | undefined): string | undefined {
  const raw = params?.authorization ?? params?.Authorization;
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  return /^bearer\s/i.test(raw.trim()) ? bearerToken(raw.trim()) : raw.trim();
}

/** A GraphQL error with the code Apollo gives the same mistake over HTTP. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code },
  });
}

// setTimeout fires at once for delays over 2^31-1 ms; no access token lives that long, but be safe.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function attachGraphQLWebSocket(options: {
  httpServer: Server;
  schema: GraphQLSchema;
  services: Services;
  logger: Logger;
  metrics?: SocketObserver;
  /** The caller's address, by the same TRUST_PROXY rule as HTTP (http/client-address.ts). */
  clientAddress?: (request: IncomingMessage) => string;
  /** Strip "Did you mean" hints from errors (where introspection is off). */
  hideSuggestions?: boolean;
  /** False: the upgrade is refused with 403 before any websocket exists (an Origin not allowed). */
  allowsUpgrade?: (request: IncomingMessage) => boolean;
}): GraphQLWebSocket {
  const { schema, services, logger, metrics } = options;
  const addressOf = options.clientAddress ?? ((request: IncomingMessage) => request.socket.remoteAddress ?? 'unknown');
  const allowsUpgrade = options.allowsUpgrade ?? (() => true);
  const limits = OPERATION_LIMITS;
  const rules = [...specifiedRules, ...shapeRules(limits)];
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: '/graphql',
    maxPayload: limits.maxSocketPayloadBytes,
    verifyClient: ({ req }, done) => {
      if (allowsUpgrade(req)) return done(true);
      logger.info({ origin: req.headers.origin, ip: addressOf(req) }, 'websocket upgrade refused: origin not allowed');
      done(false, 403, 'Origin not allowed');
    },
  });

  const refuse = (ctx: Ctx, code: number, reason: string): false => {
    // Closing first makes our code the one the client sees; graphql-ws's own close then is a no-op.
    ctx.extra.socket.close(code, reason);
    return false;
  };

  const contextFor = (ctx: Ctx, requestId: string) =>
    createContext(
      services,
      logger,
      {
        requestId,
        ip: addressOf(ctx.extra.request),
        connection: {
          bufferedBytes: () => ctx.extra.socket.bufferedAmount,
          close: (code, reason) => ctx.extra.socket.close(code, reason),
        },
      },
      { viewer: ctx.extra.viewer ?? null, authError: null },
    );

  const requestIds = new WeakMap<object, string>();
  const format = (ctx: Ctx, id: string, error: GraphQLError): GraphQLFormattedError =>
    formatError(error.toJSON(), error, logger, requestIds.get(ctx)?.concat(`:${id}`), {
      hideSuggestions: options.hideSuggestions ?? false,
    });

  const cleanup = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      schema,
      connectionInitWaitTimeout: 3_000,
      onConnect: async (ctx) => {
        let viewer: Viewer;
        try {
          const token = socketToken(ctx.connectionParams);
          if (!token) return refuse(ctx, SocketCloseCode.Unauthorized, 'Missing access token');
          // The same answer as over HTTP: a bad token, or one whose account is gone, is unauthenticated.
          viewer = await services.authenticator.authenticate(token);
        } catch (error) {
          if (error instanceof UnauthenticatedError) return refuse(ctx, SocketCloseCode.Unauthorized, error.message);
          // The account could not be looked up (the database away): no fault of the client's, and graphql-ws's
          // 4500 would end a stock client for good. 1013 has it come back and resume from its cursor.
          if (classifyFailure(error) === 'transient') {
            logger.warn({ err: errorSummary(error) }, 'websocket refused for now: dependency unavailable');
            return refuse(ctx, SocketCloseCode.TryAgainLater, 'The service is briefly unavailable');
          }
          throw error;
        }
        ctx.extra.viewer = viewer;
        ctx.extra.subscriptionIds = new Set();
        metrics?.wsConnectionOpened();
        requestIds.set(ctx, randomUUID());
        // Its own code, which the stock client retries (refreshing its token): see close-codes.ts.
        ctx.extra.expiryTimer = setTimeout(
          () => ctx.extra.socket.close(SocketCloseCode.AccessTokenExpired, 'Access token has expired'),
          Math.min(Math.max(0, viewer.expiresAt - Date.now()), MAX_TIMER_MS),
        );
        return true;
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiryTimer);
        if (!ctx.extra.subscriptionIds) return; // never authenticated: never counted
        for (let i = 0; i < ctx.extra.subscriptionIds.size; i++) metrics?.subscriptionEnded();
        ctx.extra.subscriptionIds.clear();
        metrics?.wsConnectionClosed();
      },
      onComplete: (ctx, id) => {
        ctx.extra.costs?.delete(id);
        if (ctx.extra.subscriptionIds?.delete(id)) metrics?.subscriptionEnded();
      },
      onSubscribe: (ctx, id, payload) => {
        // graphql-ws has already registered this operation, hence the count includes it.
        const running = Object.keys(ctx.subscriptions).length;
        if (running > limits.maxOperationsPerSocket) {
          return [limitError('operations', limits.maxOperationsPerSocket, running)];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [withCode(error, ApolloServerErrorCode.GRAPHQL_PARSE_FAILED)];
          throw error;
        }
        const nul = nulCharacterError(document, payload.variables);
        if (nul) return [nul];
        // The same rules Apollo runs over HTTP (the standard ones plus depth and aliases), then the cost;
        // a mistake in the document gets the code it gets over HTTP, never a masked internal error.
        const errors = validate(schema, document, rules);
        if (errors.length > 0) {
          return errors.map((e) =>
            e.originalError ? e : withCode(e, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED),
          );
        }
        let cost: number;
        try {
          cost = assertCost(schema, document, payload.variables ?? undefined, payload.operationName, limits);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        // Decided once here, not per result: a subscription's results are the fan-out's hot path.
        if (getOperationAST(document, payload.operationName)?.operation === 'subscription') {
          ctx.extra.subscriptionIds?.add(id);
          metrics?.subscriptionStarted();
        } else {
          (ctx.extra.costs ??= new Map()).set(id, cost);
        }
        return {
          schema,
          document,
          variableValues: payload.variables,
          operationName: payload.operationName,
          contextValue: contextFor(ctx, `${requestIds.get(ctx) ?? randomUUID()}:${id}`),
        };
      },
      onNext: (ctx, id, _payload, _args, result) => {
        const errors = result.errors?.map((e) => format(ctx, id, e));
        if (
          ctx.extra.subscriptionIds?.has(id) &&
          errors?.some((e) => e.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)
        ) {
          // A change that could not be read whole (the database away) is not sent as an error: the socket
          // closes with 1013, which the client retries, resuming from its last cursor, so the change
          // arrives whole once the service can read it (docs/live.md).
          // Closing first: graphql-ws sends nothing on a socket that is no longer open.
          ctx.extra.socket.close(SocketCloseCode.TryAgainLater, 'The service is briefly unavailable');
          return undefined;
        }
        const requested = ctx.extra.costs?.get(id);
        const extensions = {
          ...result.extensions,
          ...(requested === undefined ? {} : { cost: costReport(requested) }),
        };
        return {
          ...(result.data !== undefined ? { data: result.data } : {}),
          ...(errors ? { errors } : {}),
          ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
        };
      },
      onError: (ctx, id, _payload, errors) => errors.map((e) => format(ctx, id, e)),
    },
    wss,
  );

  return {
    drainPlugin: {
      async serverWillStart() {
        return {
          async drainServer() {
            await cleanup.dispose();
          },
        };
      },
    },
    get clientCount() {
      return wss.clients.size;
    },
  };
}
