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
import { ShutdownRegistry } from './lifecycle/shutdown.js';
import { OrderUpdates } from './live/order-updates.js';
import type { Logger } from './logger.js';
import { graphqlObserver } from './observability/graphql-observer.js';
import { Metrics } from './observability/metrics.js';
import { Readiness } from './observability/readiness.js';
import { currentCorrelationId } from './observability/request-scope.js';
import { OrderService } from './orders/order.service.js';
import { OrderEventType } from './orders/order-events.js';
import { readOutboxBacklog } from './outbox/backlog.js';

export interface App {
  /** Where the API answers, e.g. http://127.0.0.1:4000/graphql */
  url: string;
  port: number;
  services: Services;
  orm: Orm;
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
    const orm = await createOrm({ url: databaseUrl, readUrls: config.databaseReadUrls, logger });
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
    const updates = new OrderUpdates();
    orders.onChange((order, events) => {
      for (const event of events) {
        const data = event.toEnvelope().data;
        updates.publish({
          orderId: order.id,
          customerId: order.customer.id,
          previousStatus: event.type === OrderEventType.CREATED ? null : 'fromStatus' in data ? data.fromStatus : null,
          status: 'toStatus' in data ? data.toStatus : order.status,
          version: order.version,
          actor: data.actor,
          changedAt: event.occurredAt.toISOString(),
        });
      }
    });
    const services: Services = { auth, catalog, orders, updates };

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
    const apollo = new ApolloServer<GraphQLContext>({
      schema,
      introspection: config.introspection,
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
        ApolloServerPluginLandingPageDisabled(),
        graphqlObserver(metrics),
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

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
    const port = (httpServer.address() as AddressInfo).port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/graphql`;
    return { url, port, services, orm, metrics, readiness, stop: stopAll };
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
