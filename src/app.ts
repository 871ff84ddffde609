// The API process as `npm start` runs it (and as the tests start it): the
// core, the API on it, and, with RUN_CONSUMERS, the relay and consumers in
// the same process. The consumers are handed in by the entry point.
import type { Broker } from './broker/broker.js';
import { startApi } from './bootstrap/api.js';
import { startCore } from './bootstrap/core.js';
import { ensureDemoStaff } from './bootstrap/demo-staff.js';
import { startWorkers, type ConsumerDefinition, type Workers } from './bootstrap/workers.js';
import type { Config } from './config.js';
import type { Orm } from './db/orm.js';
import type { Services } from './graphql/context.js';
import type { Logger } from './logger.js';
import type { Metrics } from './observability/metrics.js';
import type { Readiness } from './observability/readiness.js';
import type { RelayOptions } from './outbox/relay.js';

export interface App {
  /** Where the API answers, e.g. http://127.0.0.1:4000/graphql */
  url: string;
  port: number;
  /** Where Prometheus scrapes: the API's own /metrics, or METRICS_HOST:METRICS_PORT. */
  metricsUrl: string;
  services: Services;
  orm: Orm;
  broker: Broker;
  /** The relay and consumers, or null where this process does not run them (RUN_CONSUMERS=false). */
  workers: Workers | null;
  metrics: Metrics;
  readiness: Readiness;
  /** Graceful: /readyz turns 503, then the shutdown steps run phase by phase. */
  stop(): Promise<void>;
}

export interface AppOptions {
  /** The consumers to run in this process when RUN_CONSUMERS is on (consumers/index.ts). */
  consumers: readonly ConsumerDefinition[];
  relay?: RelayOptions;
}

export async function startApp(config: Config, logger: Logger, options: AppOptions): Promise<App> {
  const core = await startCore(config, logger, 'api');
  try {
    const { services } = core;
    if (config.seedDemoData) {
      const seeded = await services.catalog.seedDemoProducts();
      if (seeded > 0) logger.info({ products: seeded }, 'demo catalogue seeded');
    }
    if (config.admin && (await services.auth.ensureAdmin(config.admin.email, config.admin.password))) {
      logger.info({ email: config.admin.email }, 'admin account created');
    }
    await ensureDemoStaff(config, services.auth, logger);
    let workers: Workers | null = null;
    if (core.runsWorkers) {
      workers = await startWorkers(core, options.consumers, { relay: options.relay });
    } else if (core.broker.kind === 'in-process') {
      logger.warn('RUN_CONSUMERS=false without RABBITMQ_URL: no relay or consumer can reach this process');
    }
    const api = await startApi(core);
    return {
      ...api,
      orm: core.orm,
      broker: core.broker,
      workers,
      metrics: core.metrics,
      readiness: core.readiness,
      stop: core.stop,
    };
  } catch (error) {
    await core.stop();
    throw error;
  }
}
