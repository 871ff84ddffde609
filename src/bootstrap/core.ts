// The one place that builds what every process of the service shares: the
// database (PostgreSQL or the embedded PGlite), shared state (Redis or
// in-process), the broker, metrics, readiness, and the domain services over
// them. The entry points (src/main.ts, consumers/main.ts, src/migrate.ts)
// pick what they run on top: the API, the workers, or migrations alone.
import type { Broker } from '../broker/broker.js';
import { createBroker } from '../broker/create-broker.js';
import { orderServiceTopology } from '../broker/topology.js';
import { AuthService } from '../auth/index.js';
import { OrderCache } from '../cache/order-cache.js';
import { CatalogService, InventoryService } from '../catalog/index.js';
import type { Config } from '../config.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { createOrm, migrate, pingDatabase, type Orm } from '../db/orm.js';
import { ReadReplicas } from '../db/read-replicas.js';
import { Statements } from '../db/statements.js';
import { ENTITIES } from './entities.js';
import { ShutdownRegistry, type ShutdownPhase } from '../lifecycle/shutdown.js';
import type { Logger } from '../logger.js';
import { Metrics } from '../observability/metrics.js';
import { Readiness } from '../observability/readiness.js';
import {
  AuditTrail,
  ChangeFeed,
  CommittedEvents,
  OrderFulfilment,
  OrderMoves,
  OrderPlacement,
  loadOrderSnapshot,
  OrderReads,
} from '../orders/index.js';
import { readOutboxBacklog } from '../outbox/backlog.js';
import { connectSharedState, type SharedState } from '../shared-state.js';

/** The domain services, the same in every process. */
export interface DomainServices {
  auth: AuthService;
  catalog: CatalogService;
  inventory: InventoryService;
  placement: OrderPlacement;
  moves: OrderMoves;
  /** Shipments, deliveries and cancelled lines (SPEC section 10). */
  fulfilment: OrderFulfilment;
  reads: OrderReads;
  audit: AuditTrail;
  /** The change feed live subscribers are served from. */
  feed: ChangeFeed;
  orderCache: OrderCache;
  /** Told about every order change this process commits. */
  committed: CommittedEvents;
}

export interface Core {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
  orm: Orm;
  /** Which reads may go to a replica (none without DATABASE_READ_URLS). */
  replicas: ReadReplicas;
  shared: SharedState;
  broker: Broker;
  services: DomainServices;
  /** Whether this process runs the relay and the consumers (the consumers process, or the API with RUN_CONSUMERS). */
  runsWorkers: boolean;
  /** Registers how to stop something started on this core, in the phase where it belongs. */
  onStop(phase: ShutdownPhase, name: string, stop: () => Promise<void>): void;
  /** Graceful: /readyz turns 503, then the shutdown steps run phase by phase. */
  stop(): Promise<void>;
}

export type ProcessRole = 'api' | 'consumers';

/**
 * Opens the database the configuration names, starting the embedded one when
 * it names none; registers how to close both. Applies pending migrations when
 * `migrateNow`.
 */
export async function openDatabase(
  config: Config,
  logger: Logger,
  shutdown: ShutdownRegistry,
  migrateNow: boolean,
  replicas?: ReadReplicas,
): Promise<Orm> {
  let url = config.databaseUrl;
  if (!url) {
    const embedded = await startEmbeddedPostgres({ dataDir: `${config.dataDir}/pg` });
    shutdown.add('connections', 'embedded database', () => embedded.stop());
    url = embedded.url;
    logger.info({ dataDir: config.dataDir }, 'using the embedded database (PGlite); set DATABASE_URL for PostgreSQL');
  }
  const orm = await createOrm({
    url,
    entities: ENTITIES,
    // Replicas serve the API's and the consumers' reads alike, with the same pool size.
    readUrls: replicas ? config.databaseReadUrls : [],
    replicas,
    poolSize: config.databasePoolSize,
    logger,
  });
  shutdown.add('connections', 'database pool', () => orm.close(true));
  if (replicas?.configured) {
    replicas.start();
    shutdown.add('connections', 'read replica polling', () => replicas.stop());
  }
  if (migrateNow) {
    const applied = await migrate(orm);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  }
  return orm;
}

export async function startCore(config: Config, logger: Logger, role: ProcessRole): Promise<Core> {
  const shutdown = new ShutdownRegistry(logger);
  const metrics = new Metrics();
  const readiness = new Readiness(logger);
  const stop = () => {
    readiness.markStopping();
    return shutdown.stop();
  };
  const runsWorkers = role === 'consumers' || config.runConsumers;
  try {
    const replicas = new ReadReplicas(logger.child({ component: 'read-replicas' }));
    const orm = await openDatabase(config, logger, shutdown, config.migrateOnStart, replicas);
    readiness.register({ name: 'database', critical: true, check: () => pingDatabase(orm) });
    if (replicas.configured) {
      // A replica down costs the primary its reads, not the service its answers: degraded.
      readiness.register({ name: 'read replicas', critical: false, check: () => replicas.check() });
    }
    metrics.watchOutbox(
      () => readOutboxBacklog(orm),
      (err) => logger.warn({ err }, 'could not read the outbox backlog for /metrics'),
    );

    // A consumer process only publishes changes; an API instance also receives them.
    const shared = await connectSharedState(config, logger, { receiveChanges: role === 'api', observer: metrics });
    shutdown.add('connections', 'redis', () => shared.close());
    readiness.register({
      name: 'redis',
      critical: false,
      check: async () => {
        if ((await shared.status()) === 'degraded') throw new Error('redis is unreachable');
      },
    });

    const broker = createBroker(config.rabbitmqUrl, logger, `order-service ${role}`);
    await broker.start(
      orderServiceTopology({
        paymentSimulator: runsWorkers && config.paymentSimulator,
        shippingSimulator: runsWorkers && config.shippingSimulator,
      }),
    );
    shutdown.add('connections', 'broker', () => broker.close());
    readiness.register({
      name: 'broker',
      critical: false,
      check: async () => {
        if (!broker.isConnected()) throw new Error(`${broker.kind} broker is not connected`);
      },
    });

    const committed = new CommittedEvents();
    // Whoever made a change reads from the primary until the replicas have it (read-your-writes).
    committed.onCommitted((_order, events) => {
      for (const actor of new Set(events.map((event) => event.data.actor))) replicas.wrote(actor);
    });
    const inventory = new InventoryService();
    const statements = new Statements(orm, { prepared: config.databasePreparedStatements });
    const loadSnapshot = (orderId: string) => loadOrderSnapshot(statements, orderId);
    const orderCache = new OrderCache(
      shared.cacheStore,
      loadSnapshot,
      config.orderCacheTtlSeconds,
      logger.child({ component: 'order-cache' }),
      metrics,
    );
    const services: DomainServices = {
      auth: new AuthService(orm, { ...config.jwt, bcryptCost: config.bcryptCost }),
      catalog: new CatalogService(orm),
      inventory,
      placement: new OrderPlacement(orm, statements, inventory, committed, config.orders.maxLineQuantity),
      moves: new OrderMoves(orm, inventory, committed),
      fulfilment: new OrderFulfilment(orm, inventory, committed),
      reads: new OrderReads(orm, orderCache, loadSnapshot, replicas),
      audit: new AuditTrail(orm),
      feed: new ChangeFeed(orm),
      orderCache,
      committed,
    };
    return {
      config,
      logger,
      metrics,
      readiness,
      orm,
      replicas,
      shared,
      broker,
      services,
      runsWorkers,
      onStop: (phase, name, step) => shutdown.add(phase, name, step),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
