// GraphQL over a websocket (graphql-ws protocol), on the HTTP server's own
// port and path. The socket authenticates once, in connection_init, and is
// closed when that token expires; every operation on it (subscriptions,
// queries, mutations) passes the same validation, cost limits, rate limits
// and error masking as over HTTP. One file, longer than most: graphql-ws's
// hooks below share each socket's state, and read best side by side.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, getOperationAST, specifiedRules, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { FormattedExecutionResult, Context as SocketContext } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerToken, Role, type Viewer } from '../auth/index.js';
import { classifyFailure } from '../broker/failure.js';
import { errorSummary } from '../broker/retry.js';
import { ErrorCode, UnauthenticatedError } from '../errors.js';
import { createContext, type GraphQLContext, type Services } from '../graphql/context.js';
import { formatError } from '../graphql/format-error.js';
import { nulCharacterError } from '../graphql/input-guard.js';
import { assertCost, costReport, limitError, OPERATION_LIMITS, shapeRules } from '../limits/operation-limits.js';
import type { Logger } from '../logger.js';
import { SocketCloseCode } from './close-codes.js';
import { SharedResults } from './shared-results.js';
import { noItems, withItem } from './lean-arrays.js';
import { serveGraphQLWs } from './socket-server.js';
import { SocketDocuments } from './socket-documents.js';
import { TokenExpiries } from './token-expiries.js';
import type { LiveConnection } from './subscription.js';

type SocketExtra = {
  socket: WebSocket;
  /** The upgrade request: let go once connected (see `keepOnlyWhatIsNeeded`). */
  request: IncomingMessage;
  /** The caller's address, read from the upgrade request when the socket connected. */
  ip?: string;
  viewer?: Viewer;
  /** Subscriptions running on this socket, for the active-subscriptions gauge (a few at most: an array). */
  subscriptionIds?: string[];
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

/** Who a socket's results may depend on: every ADMIN sees the same; a customer, their own. */
export function audienceOf(contextValue: unknown): string | null {
  const viewer = (contextValue as Partial<GraphQLContext> | undefined)?.viewer;
  if (!viewer) return null;
  return viewer.role === Role.ADMIN ? Role.ADMIN : `${viewer.role}:${viewer.userId}`;
}

/** What a subscription needs of its socket (a class: one copy of its methods for every subscription). */
class SocketConnection implements LiveConnection {
  constructor(private readonly socket: WebSocket) {}

  bufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}

/**
 * One string in one piece. randomUUID() builds its text from sixteen pieces that V8 keeps as such, and a
 * socket keeps its id for as long as it is open.
 */
function flatString(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}

/**
 * A socket lives for hours: once it is authenticated, let go of what only the
 * handshake needed. The upgrade request (headers, streams) and the access
 * token in connectionParams were a third of what each idle subscriber held.
 * graphql-ws reads neither after connection_init; both are ours to drop.
 */
function keepOnlyWhatIsNeeded(ctx: Ctx): void {
  Reflect.set(ctx.extra, 'request', null);
  const params = ctx.connectionParams;
  if (params && ('authorization' in params || 'Authorization' in params)) {
    // A copy without them, not a delete: an object that loses a property keeps a dictionary of the rest.
    const { authorization: _token, Authorization: _Token, ...rest } = params;
    Reflect.set(ctx, 'connectionParams', rest);
  }
}

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
  /** On shutdown, how long sockets get to close after 1001 before they are cut. */
  closeWaitMs?: number;
}): GraphQLWebSocket {
  const { schema, services, logger, metrics } = options;
  const addressOf = options.clientAddress ?? ((request: IncomingMessage) => request.socket.remoteAddress ?? 'unknown');
  const allowsUpgrade = options.allowsUpgrade ?? (() => true);
  const limits = OPERATION_LIMITS;
  const documents = new SocketDocuments(schema, [...specifiedRules, ...shapeRules(limits)]);
  const shared = new SharedResults(audienceOf);
  // Its own code, which the stock client retries (refreshing its token): see close-codes.ts.
  const expiries = new TokenExpiries<WebSocket>((socket) =>
    socket.close(SocketCloseCode.AccessTokenExpired, 'Access token has expired'),
  );
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: '/graphql',
    maxPayload: limits.maxSocketPayloadBytes,
    // The socket server keeps its own set (socket-server.ts); ws's would be a second, and a listener per socket.
    clientTracking: false,
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
        ip: ctx.extra.ip ?? 'unknown',
        connection: new SocketConnection(ctx.extra.socket),
      },
      { viewer: ctx.extra.viewer ?? null, authError: null },
    );

  const requestIds = new WeakMap<object, string>();
  const format = (ctx: Ctx, id: string, error: GraphQLError): GraphQLFormattedError =>
    formatError(error.toJSON(), error, logger, requestIds.get(ctx)?.concat(`:${id}`), {
      hideSuggestions: options.hideSuggestions ?? false,
    });

  const cleanup = serveGraphQLWs<Record<string, unknown> | undefined, SocketExtra>(
    {
      schema,
      // Each event's result executed once for every subscriber asking the same (shared-results.ts).
      subscribe: shared.subscribe,
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
        ctx.extra.ip = addressOf(ctx.extra.request);
        keepOnlyWhatIsNeeded(ctx);
        ctx.extra.subscriptionIds = noItems();
        metrics?.wsConnectionOpened();
        requestIds.set(ctx, flatString(randomUUID()));
        expiries.watch(ctx.extra.socket, viewer.expiresAt);
        return true;
      },
      onClose: (ctx) => {
        expiries.forget(ctx.extra.socket);
        if (!ctx.extra.subscriptionIds) return; // never authenticated: never counted
        for (let i = 0; i < ctx.extra.subscriptionIds.length; i++) metrics?.subscriptionEnded();
        ctx.extra.subscriptionIds = noItems();
        metrics?.wsConnectionClosed();
      },
      onComplete: (ctx, id) => {
        ctx.extra.costs?.delete(id);
        const ids = ctx.extra.subscriptionIds;
        const at = ids?.indexOf(id) ?? -1;
        if (ids && at >= 0) {
          ids.splice(at, 1);
          metrics?.subscriptionEnded();
        }
      },
      onSubscribe: (ctx, id, payload) => {
        // graphql-ws has already registered this operation, hence the count includes it.
        const running = Object.keys(ctx.subscriptions).length;
        if (running > limits.maxOperationsPerSocket) {
          return [limitError('operations', limits.maxOperationsPerSocket, running)];
        }
        // Parsed and validated once per text (socket-documents.ts); then the cost, as over HTTP.
        const checked = documents.check(payload.query);
        if (checked.errors) return [...checked.errors];
        const { document } = checked;
        // graphql-ws holds the message while the subscription runs: hold the one shared copy of its text
        // (and let go of the raw message, which the parsed text still points into).
        Reflect.set(payload, 'query', checked.query);
        const nul = nulCharacterError(document, payload.variables);
        if (nul) return [nul];
        let cost: number;
        try {
          cost = assertCost(schema, document, payload.variables ?? undefined, payload.operationName, limits);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        // Decided once here, not per result: a subscription's results are the fan-out's hot path.
        if (getOperationAST(document, payload.operationName)?.operation === 'subscription') {
          if (ctx.extra.subscriptionIds) ctx.extra.subscriptionIds = withItem(ctx.extra.subscriptionIds, id);
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
        if (ctx.extra.subscriptionIds?.includes(id)) {
          const event = shared.isEventResult(result);
          // The fan-out's hot path: a result shared with every subscriber asking the same goes out as it is.
          if (event && !result.errors && result.data) return result as FormattedExecutionResult;
          const errors = result.errors?.map((e) => format(ctx, id, e));
          // A change that could not be produced whole (the database away, the order unreadable) is not
          // sent as an error: the socket closes with 1013, which the client retries, resuming from its
          // last cursor, so the change arrives whole once the service can read it (docs/live.md).
          // Closing first: graphql-ws sends nothing on a socket that is no longer open.
          if (errors?.some((e) => e.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) {
            ctx.extra.socket.close(SocketCloseCode.TryAgainLater, 'The service is briefly unavailable');
            return undefined;
          }
          if (event && !result.data) {
            ctx.extra.socket.close(SocketCloseCode.TryAgainLater, 'Could not load the changed order: resume later');
            return undefined;
          }
          // A subscription that could not start (a bad cursor, an order the caller may not see) says why.
          return { ...(result.data !== undefined ? { data: result.data } : {}), ...(errors ? { errors } : {}) };
        }
        const errors = result.errors?.map((e) => format(ctx, id, e));
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
    { keepAliveMs: 12_000, connectionInitWaitMs: 3_000, closeWaitMs: options.closeWaitMs ?? 5_000 },
    logger,
    // Every field the socket will have, from the start: the object keeps one shape and its fields in place.
    ({ socket, request }) => ({
      socket,
      request,
      ip: undefined,
      viewer: undefined,
      subscriptionIds: undefined,
      costs: undefined,
    }),
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
      return cleanup.size;
    },
  };
}
