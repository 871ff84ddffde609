// The faults, one at a time and then combined. Each one injects its fault,
// holds it, heals it (proxies restored, processes started again) and returns
// once everything is back; the runner measures recovery from that moment.
import type { Cluster } from './cluster.js';
import type { FaultSettings } from './settings.js';

export interface NemesisContext {
  cluster: Cluster;
  settings: FaultSettings;
  /** Called right after a process was killed: item 4's measurements start there. */
  afterKill: (what: string) => void;
  note: (line: string) => void;
}

export interface Scenario {
  name: string;
  nemesis: (ctx: NemesisContext) => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'kill -9 api-a',
    // A runs the relay and consumers in-process: killed mid-batch.
    nemesis: async ({ cluster, settings, afterKill }) => {
      await cluster.apiA.signal('SIGKILL');
      afterKill('api-a');
      await sleep(settings.downMs);
      await cluster.apiA.start();
    },
  },
  {
    name: 'kill -9 consumers-1',
    // The one with the payment simulator: payments wait in its queue meanwhile.
    nemesis: async ({ cluster, settings, afterKill }) => {
      await cluster.consumers1.signal('SIGKILL');
      afterKill('consumers-1');
      await sleep(settings.downMs);
      await cluster.consumers1.start();
    },
  },
  {
    name: 'SIGTERM api-a',
    nemesis: async ({ cluster, settings, note }) => {
      const exit = await cluster.apiA.signal('SIGTERM');
      note(`api-a exited on SIGTERM with code ${exit.code} signal ${exit.signal}`);
      await sleep(settings.downMs);
      await cluster.apiA.start();
    },
  },
  {
    name: 'RabbitMQ cut',
    nemesis: async ({ cluster, settings }) => {
      cluster.proxies.rabbitmq.cut();
      await sleep(settings.rabbitmqCutMs);
      cluster.proxies.rabbitmq.restore();
    },
  },
  {
    name: 'Redis cut',
    nemesis: async ({ cluster, settings }) => {
      cluster.proxies.redis.cut();
      await sleep(settings.redisCutMs);
      cluster.proxies.redis.restore();
    },
  },
  {
    name: 'PostgreSQL cut',
    nemesis: async ({ cluster, settings }) => {
      cluster.proxies.postgres.cut();
      await sleep(settings.postgresCutMs);
      cluster.proxies.postgres.restore();
    },
  },
  {
    name: 'PostgreSQL partition',
    // Connections stay open and nothing is forwarded: every query hangs rather than fails.
    nemesis: async ({ cluster, settings }) => {
      cluster.proxies.postgres.hold();
      await sleep(settings.postgresPartitionMs);
      cluster.proxies.postgres.restore();
    },
  },
  {
    name: 'combined',
    // RabbitMQ cut and consumers-2 killed; Redis cut; SIGTERM to api-b; then PostgreSQL partitioned; all healed together.
    nemesis: async ({ cluster, settings, afterKill, note }) => {
      cluster.proxies.rabbitmq.cut();
      await cluster.consumers2.signal('SIGKILL');
      afterKill('consumers-2');
      await sleep(1000);
      cluster.proxies.redis.cut();
      const stopped = cluster.apiB.signal('SIGTERM');
      await sleep(1000);
      cluster.proxies.postgres.hold();
      await sleep(settings.postgresPartitionMs);
      cluster.proxies.postgres.restore();
      cluster.proxies.redis.restore();
      cluster.proxies.rabbitmq.restore();
      const exit = await stopped;
      note(`api-b exited on SIGTERM (RabbitMQ and Redis cut) with code ${exit.code} signal ${exit.signal}`);
      await Promise.all([cluster.consumers2.start(), cluster.apiB.start()]);
    },
  },
];
