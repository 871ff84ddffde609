// The composition root: builds everything from one typed config and hands
// dependencies down. Nothing connects to a server at import time.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
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
import { batchSizeGuard, operationCostPlugin } from './limits/http-limits.js';
import { shapeRules } from './limits/operation-limits.js';
import { RateLimits } from './limits/rate-limits.js';
import { startLiveOrders } from './live/live-orders.js';
import { attachGraphQLWebSocket } from './live/websocket.js';
import type { Logger } from './logger.js';
import { OrderService } from './orders/order.service.js';
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
  stop(): Promise<void>;
}

const REQUEST_ID = /^[\w.:-]{1,100}$/;

export async function startApp(config: Config, logger: Logger): Promise<App> {
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
    }
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir: `${config.dataDir}/pg` });
      cleanups.push(() => embedded.stop());
      databaseUrl = embedded.url;
      logger.info({ dataDir: config.dataDir }, 'using the embedded database (PGlite); set DATABASE_URL for PostgreSQL');
    }
    const orm = await createOrm({
      url: databaseUrl,
      readUrls: config.databaseReadUrls,
      poolSize: config.databasePoolSize,
      logger,
    });
    cleanups.push(() => orm.close(true));
    if (config.migrateOnStart) {
      const applied = await migrate(orm);
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    }

    const auth = new AuthService(orm, { ...config.jwt, bcryptCost: config.bcryptCost });
    const catalog = new CatalogService(orm);
    const orders = new OrderService(orm);
    const shared = await connectSharedState(config, logger, { receiveChanges: true });
    cleanups.push(() => shared.close());
    const live = await startLiveOrders({ orders, shared, orderCacheTtlSeconds: config.orderCacheTtlSeconds, logger });
    const rateLimits = new RateLimits(shared.rateLimitStore, config.rateLimits);
    const services: Services = { auth, catalog, orders, ...live, rateLimits };
    const eventing = await startEventing({ config, orm, orders, logger, role: 'api' });
    cleanups.push(() => eventing.stop());

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
    const socket = attachGraphQLWebSocket({ httpServer, schema, jwt: config.jwt, services, logger });
    const apollo = new ApolloServer<GraphQLContext>({
      schema,
      introspection: config.introspection,
      allowBatchedHttpRequests: true, // bounded by batchSizeGuard
      validationRules: shapeRules(),
      includeStacktraceInErrorResponses: false,
      // main.ts owns the signals; Apollo's own handler would stop it first and make app.stop() wait forever.
      stopOnTerminationSignals: false,
      formatError: (formatted, error) => formatError(formatted, error, logger, currentRequestId(error)),
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer }),
        socket.drainPlugin,
        operationCostPlugin(schema),
        config.playground
          ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
          : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
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
    cleanups.push(() => apollo.stop());

    app.get('/healthz', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.get('/readyz', async (_req, res) => {
      // Redis down degrades the service (cache, live updates, limits) but it still answers: 200.
      const [database, redis] = await Promise.all([
        pingDatabase(orm).then(
          () => 'up',
          () => 'down',
        ),
        shared.status(),
      ]);
      const status = database === 'down' ? 'unavailable' : redis === 'degraded' ? 'degraded' : 'ready';
      res.status(database === 'down' ? 503 : 200).json({ status, database, redis });
    });
    app.use(
      '/graphql',
      cors(),
      express.json({ limit: '1mb' }),
      batchSizeGuard(),
      expressMiddleware<GraphQLContext>(apollo as ApolloServer<GraphQLContext & BaseContext>, {
        context: async ({ req, res }) => {
          const given = req.header('x-request-id');
          const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
          res.setHeader('x-request-id', requestId);
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
    cleanups.push(() => new Promise<void>((resolve) => httpServer.close(() => resolve())));
    const port = (httpServer.address() as AddressInfo).port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/graphql`;
    return { url, port, services, orm, eventing, stop: stopAll };
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
