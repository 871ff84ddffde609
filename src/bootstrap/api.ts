// The API on a core: GraphQL over HTTP (Apollo on Express) and over the
// websocket (graphql-ws) on one port and path, the operational routes, and
// the live side that serves subscribers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type BaseContext } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { Authenticator, bearerToken } from '../auth/index.js';
import { NotificationService, WebhookEndpointService } from '../notifications/index.js';
import { ErrorCode, UnauthenticatedError } from '../errors.js';
import { authenticateCaller, createContext, type GraphQLContext, type Services } from '../graphql/context.js';
import { formatError } from '../graphql/format-error.js';
import { contextFailure, noStorePlugin, serviceUnavailableStatusPlugin } from '../graphql/http-status.js';
import { inputGuardPlugin } from '../graphql/input-guard.js';
import { createSchema } from '../graphql/schema.js';
import { clientAddress, compileTrust } from '../http/client-address.js';
import { drainHttpServerPlugin } from '../http/drain.js';
import {
  graphqlContentTypeGuard,
  graphqlHttpErrorHandler,
  graphqlMethodGuard,
  sendGraphQLHttpError,
} from '../http/graphql-http-errors.js';
import { metricsRoutes, operationalRoutes } from '../http/ops-routes.js';
import { OriginPolicy } from '../http/origins.js';
import { playgroundRoutes } from '../http/playground.js';
import { requestContext } from '../http/request-context.js';
import { webAppRoutes } from '../http/web-app.js';
import { batchSizeGuard, operationCostPlugin } from '../limits/http-limits.js';
import { shapeRules } from '../limits/operation-limits.js';
import { RateLimits } from '../limits/rate-limits.js';
import { serveLiveChanges } from '../live/live-orders.js';
import { attachGraphQLWebSocket } from '../live/websocket.js';
import { graphqlObserver } from '../observability/graphql-observer.js';
import { currentCorrelationId } from '../observability/request-scope.js';
import type { Core } from './core.js';

export interface Api {
  /** Where the API answers, e.g. http://127.0.0.1:4000/graphql */
  url: string;
  port: number;
  /** Where Prometheus scrapes: the API's own /metrics, or METRICS_HOST:METRICS_PORT. */
  metricsUrl: string;
  services: Services;
}

export async function startApi(core: Core): Promise<Api> {
  const { config, logger, metrics } = core;
  const domain = core.services;
  const live = await serveLiveChanges({
    committed: domain.committed,
    shared: core.shared,
    orderCache: domain.orderCache,
    logger,
    feed: domain.feed,
    readiness: core.readiness,
    limits: config.live,
    pollIntervalMs: config.live.pollIntervalMs,
    observer: metrics,
  });
  // After the HTTP drain: subscribers are gone by then.
  core.onStop('workers', 'change feed tail', () => live.stop());
  const services: Services = {
    ...domain,
    authenticator: new Authenticator(config.jwt, (ids) => domain.auth.existingAccounts(ids)),
    live: live.fanOut,
    rateLimits: new RateLimits(core.shared.rateLimitStore, config.rateLimits),
    notifications: new NotificationService(core.orm),
    webhooks: new WebhookEndpointService(core.orm, {
      allowPrivateTargets: config.notifications.webhookAllowPrivateTargets,
    }),
  };

  const schema = await createSchema();
  const trust = compileTrust(config.trustProxy);
  const origins = new OriginPolicy(config.corsOrigins);
  const app = express();
  app.disable('x-powered-by');
  // req.ip by TRUST_PROXY; the websocket uses the same function (clientAddress).
  app.set('trust proxy', trust);
  const httpServer: Server = createServer(app);
  // In-flight requests and open websockets get two thirds of the shutdown budget; the rest is for workers and pools.
  const drainGraceMs = Math.round((config.shutdownTimeoutMs * 2) / 3);
  const socket = attachGraphQLWebSocket({
    httpServer,
    closeWaitMs: drainGraceMs,
    schema,
    services,
    logger,
    metrics,
    clientAddress: (request) => clientAddress(request, trust),
    hideSuggestions: !config.introspection,
    allowsUpgrade: (request) => origins.allowsUpgrade(request),
  });
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.introspection,
    // With introspection off, "Did you mean" hints would leak the schema bit by bit (formatError strips the rest).
    hideSchemaDetailsFromClientErrors: !config.introspection,
    allowBatchedHttpRequests: true, // bounded by batchSizeGuard
    validationRules: shapeRules(),
    includeStacktraceInErrorResponses: false,
    // The entry point owns SIGTERM/SIGINT and runs the whole shutdown; Apollo's own handler would race it.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) =>
      formatError(formatted, error, logger, currentRequestId(error), { hideSuggestions: !config.introspection }),
    plugins: [
      drainHttpServerPlugin(httpServer, drainGraceMs),
      // Closes every websocket (1001, going away) when the server stops; those still open after the grace, cut.
      socket.drainPlugin,
      // Apollo's own landing page loads from a CDN; ours (http/playground.ts) is served from node_modules.
      ApolloServerPluginLandingPageDisabled(),
      // Apollo's cache-control plugin wraps every field's resolver to gather hints this schema never gives;
      // all it would do is mark each answer no-store, which noStorePlugin does without the wrapping.
      ApolloServerPluginCacheControlDisabled(),
      noStorePlugin(),
      graphqlObserver(metrics),
      inputGuardPlugin(),
      serviceUnavailableStatusPlugin(),
      operationCostPlugin(schema),
      {
        // Remember the request id where formatError can find it.
        async requestDidStart({ contextValue }) {
          return {
            async didEncounterErrors({ errors }) {
              for (const e of errors) requestIds.set(e, contextValue.requestId);
            },
          };
        },
      },
    ],
  });
  await apollo.start();
  // apollo.stop() runs the drain plugin: the server stops accepting and in-flight requests finish.
  core.onStop('http', 'HTTP server', () => apollo.stop());

  app.use(requestContext(logger));
  // nosniff, a same-origin frame policy, no referrer, and the rest of helmet's defaults; the pages
  // (playground, web app) replace its Content-Security-Policy with their own.
  app.use(helmet());
  // Before anything else that matches /graphql (the playground's GET route would answer OPTIONS itself).
  app.use('/graphql', cors(origins.corsOptions()));
  app.use(operationalRoutes({ readiness: core.readiness, metrics: config.metrics ? null : metrics }));
  if (config.playground) app.use(playgroundRoutes());
  app.use(
    '/graphql',
    graphqlMethodGuard(),
    graphqlContentTypeGuard(),
    express.json({ limit: '1mb' }),
    batchSizeGuard(),
    expressMiddleware<GraphQLContext>(apollo as ApolloServer<GraphQLContext & BaseContext>, {
      context: async ({ req, res }) => {
        // Set by requestContext, which also echoed it in x-request-id.
        const requestId = currentCorrelationId() ?? String(res.getHeader('x-request-id'));
        let token: string | undefined;
        try {
          token = bearerToken(req.header('authorization'));
        } catch (error) {
          // A malformed Authorization header: refused where a viewer is needed, like a bad token.
          if (!(error instanceof UnauthenticatedError)) throw error;
          return createContext(
            services,
            logger,
            { requestId, ip: clientIp(req) },
            {
              viewer: null,
              authError: error,
            },
          );
        }
        const caller = await authenticateCaller(services.authenticator, token).catch((error: unknown) => {
          throw contextFailure(error, req.header('accept'));
        });
        return createContext(services, logger, { requestId, ip: clientIp(req) }, caller);
      },
    }),
  );
  app.use('/graphql', graphqlHttpErrorHandler(logger));
  // The web app at / (after the API's routes, which it never answers anyway).
  app.use(webAppRoutes());
  // Nothing anywhere answers with Express's HTML error page (a stack trace outside production).
  app.use(((error, _req, res, next) => {
    if (res.headersSent) return next(error);
    logger.error({ err: error }, 'unexpected HTTP error');
    sendGraphQLHttpError(res, 500, 'Internal server error', ErrorCode.INTERNAL_SERVER_ERROR);
  }) satisfies express.ErrorRequestHandler);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `${origin(config.host, port)}/graphql`;
  const metricsUrl = config.metrics
    ? await serveMetricsApart(core, config.metrics)
    : `${origin(config.host, port)}/metrics`;
  return { url, port, metricsUrl, services };
}

function origin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** METRICS_PORT: /metrics on a listener of its own (a private interface), not on the public API. */
async function serveMetricsApart(core: Core, where: { port: number; host: string }): Promise<string> {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRoutes(core.metrics));
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, () => resolve());
  });
  core.onStop('http', 'metrics server', async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `${origin(where.host, (server.address() as AddressInfo).port)}/metrics`;
}

function clientIp(req: express.Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

// Errors are formatted after the request's plugins saw them; this weak map ties each to its request id.
const requestIds = new WeakMap<object, string>();
function currentRequestId(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? requestIds.get(error) : undefined;
}
