// The composition root: builds everything from one typed config and hands
// dependencies down. Nothing connects to a server at import time.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { AuthService } from './auth/auth.service.js';
import { bearerToken, verifyAccessToken, type Viewer } from './auth/tokens.js';
import { CatalogService } from './catalog/catalog.service.js';
import type { Config } from './config.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.js';
import { createOrm, migrate, pingDatabase, type Orm } from './db/orm.js';
import { UnauthenticatedError } from './errors.js';
import { createLoaders, type GraphQLContext, type Services } from './graphql/context.js';
import { formatError } from './graphql/format-error.js';
import { createSchema } from './graphql/schema.js';
import { operationalRoutes } from './http/ops-routes.js';
import { playgroundRoutes } from './http/playground.js';
import { requestContext } from './http/request-context.js';
import { webAppRoutes } from './http/web-app.js';
import { ShutdownRegistry } from './lifecycle/shutdown.js';
import { batchSizeGuard, operationCostPlugin } from './limits/http-limits.js';
import { shapeRules } from './limits/operation-limits.js';
import { RateLimits } from './limits/rate-limits.js';
import { startLiveOrders } from './live/live-orders.js';
import { attachGraphQLWebSocket } from './live/websocket.js';
import type { Logger } from './logger.js';
import { graphqlObserver } from './observability/graphql-observer.js';
import { Metrics } from './observability/metrics.js';
import { Readiness } from './observability/readiness.js';
import { currentCorrelationId } from './observability/request-scope.js';
import { OrderService } from './orders/order.service.js';
import { readOutboxBacklog } from './outbox/backlog.js';
import { connectSharedState } from './shared-state.js';
import { startEventing, type Eventing } from '../consumers/eventing.js';

export interface App {
  /** Where the API answers, e.g. http://127.0.0.1:4000/graphql */
  url: string;
  port: number;
  services: Services;
  orm: Orm;
  /** The broker, and the outbox relay when this process runs it. */
  eventing: Eventing;
  metrics: Metrics;
  readiness: Readiness;
  /** Graceful: /readyz turns 503, then the shutdown steps run phase by phase. */
  stop(): Promise<void>;
}

export async function startApp(config: Config, logger: Logger): Promise<App> {
  // Every started piece registers how to stop it (see lifecycle/shutdown.ts for the phases).
  const shutdown = new ShutdownRegistry(logger);
  const metrics = new Metrics();
  const readiness = new Readiness(logger);
  const stopAll = () => {
    readiness.markStopping();
    return shutdown.stop();
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir: `${config.dataDir}/pg` });
      shutdown.add('connections', 'embedded database', () => embedded.stop());
      databaseUrl = embedded.url;
      logger.info({ dataDir: config.dataDir }, 'using the embedded database (PGlite); set DATABASE_URL for PostgreSQL');
    }
    const orm = await createOrm({
      url: databaseUrl,
      readUrls: config.databaseReadUrls,
      poolSize: config.databasePoolSize,
      logger,
    });
    shutdown.add('connections', 'database pool', () => orm.close(true));
    readiness.register({ name: 'database', critical: true, check: () => pingDatabase(orm) });
    metrics.watchOutbox(
      () => readOutboxBacklog(orm),
      (err) => logger.warn({ err }, 'could not read the outbox backlog for /metrics'),
    );
    if (config.migrateOnStart) {
      const applied = await migrate(orm);
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    }

    const auth = new AuthService(orm, { ...config.jwt, bcryptCost: config.bcryptCost });
    const catalog = new CatalogService(orm);
    const orders = new OrderService(orm);
    const shared = await connectSharedState(config, logger, { receiveChanges: true });
    shutdown.add('connections', 'redis', () => shared.close());
    readiness.register({
      name: 'redis',
      critical: false,
      check: async () => {
        if ((await shared.status()) === 'degraded') throw new Error('redis is unreachable');
      },
    });
    const live = await startLiveOrders({
      orders,
      shared,
      orderCacheTtlSeconds: config.orderCacheTtlSeconds,
      logger,
      metrics,
    });
    const rateLimits = new RateLimits(shared.rateLimitStore, config.rateLimits);
    const services: Services = { auth, catalog, orders, ...live, rateLimits };
    const eventing = await startEventing({ config, orm, orders, logger, role: 'api', metrics });
    // Consumers finish and ack the message in hand, the relay its batch, then the broker connection closes.
    shutdown.add('workers', 'relay and consumers', () => eventing.stop());
    readiness.register({
      name: 'broker',
      critical: false,
      check: async () => {
        if (!eventing.broker.isConnected()) throw new Error(`${eventing.broker.kind} broker is not connected`);
      },
    });

    if (config.seedDemoData) {
      const seeded = await catalog.seedDemoProducts();
      if (seeded > 0) logger.info({ products: seeded }, 'demo catalogue seeded');
    }
    if (config.admin && (await auth.ensureAdmin(config.admin.email, config.admin.password))) {
      logger.info({ email: config.admin.email }, 'admin account created');
    }

    const schema = await createSchema();
    const app = express();
    app.disable('x-powered-by');
    const httpServer: Server = createServer(app);
    const socket = attachGraphQLWebSocket({ httpServer, schema, jwt: config.jwt, services, logger, metrics });
    const apollo = new ApolloServer<GraphQLContext>({
      schema,
      introspection: config.introspection,
      allowBatchedHttpRequests: true, // bounded by batchSizeGuard
      validationRules: shapeRules(),
      includeStacktraceInErrorResponses: false,
      // main.ts owns SIGTERM/SIGINT and runs the whole shutdown; Apollo's own handler would race it.
      stopOnTerminationSignals: false,
      formatError: (formatted, error) => formatError(formatted, error, logger, currentRequestId(error)),
      plugins: [
        // In-flight requests get two thirds of the shutdown budget; the rest is for workers and pools.
        ApolloServerPluginDrainHttpServer({
          httpServer,
          stopGracePeriodMillis: Math.round((config.shutdownTimeoutMs * 2) / 3),
        }),
        // Apollo's own landing page loads from a CDN; ours (http/playground.ts) is served from node_modules.
        // Closes every websocket (1001, going away) when the server stops.
        socket.drainPlugin,
        ApolloServerPluginLandingPageDisabled(),
        graphqlObserver(metrics),
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
    shutdown.add('http', 'HTTP server', () => apollo.stop());

    app.use(requestContext(logger));
    app.use(operationalRoutes({ readiness, metrics }));
    if (config.playground) app.use(playgroundRoutes());
    app.use(
      '/graphql',
      cors(),
      express.json({ limit: '1mb' }),
      batchSizeGuard(),
      expressMiddleware<GraphQLContext>(apollo as ApolloServer<GraphQLContext & BaseContext>, {
        context: async ({ req, res }) => {
          // Set by requestContext, which also echoed it in x-request-id.
          const requestId = currentCorrelationId() ?? String(res.getHeader('x-request-id'));
          let viewer: Viewer | null = null;
          let authError: UnauthenticatedError | null = null;
          try {
            const token = bearerToken(req.header('authorization'));
            if (token) viewer = verifyAccessToken(config.jwt, token);
          } catch (error) {
            if (!(error instanceof UnauthenticatedError)) throw error;
            authError = error;
          }
          return {
            requestId,
            ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
            viewer,
            authError,
            services,
            loaders: createLoaders(services),
            logger: logger.child({ requestId }),
          };
        },
      }),
    );
    // The web app at / (after the API's routes, which it never answers anyway).
    app.use(webAppRoutes());

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
    const port = (httpServer.address() as AddressInfo).port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/graphql`;
    return { url, port, services, orm, eventing, metrics, readiness, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

// Errors are formatted after the request's plugins saw them; this weak map ties each to its request id.
const requestIds = new WeakMap<object, string>();
function currentRequestId(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? requestIds.get(error) : undefined;
}
