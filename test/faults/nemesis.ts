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

/** One service away through its proxy for a while: cut (connections dropped, new ones refused) or held (a partition). */
function outage(
  name: string,
  service: keyof Cluster['proxies'],
  how: 'cut' | 'hold',
  duration: (settings: FaultSettings) => number,
): Scenario {
  return {
    name,
    nemesis: async ({ cluster, settings }) => {
      cluster.proxies[service][how]();
      await sleep(duration(settings));
      cluster.proxies[service].restore();
    },
  };
}

/** One process killed (SIGKILL) or stopped (SIGTERM), down for FAULTS_DOWN, then started again. */
function stopped(name: string, which: 'apiA' | 'consumers1', signal: 'SIGKILL' | 'SIGTERM'): Scenario {
  return {
    name,
    nemesis: async ({ cluster, settings, afterKill, note }) => {
      const node = cluster[which];
      const exit = await node.signal(signal);
      if (signal === 'SIGKILL') afterKill(node.name);
      else note(`${node.name} exited on ${signal} with code ${exit.code} signal ${exit.signal}`);
      await sleep(settings.downMs);
      await node.start();
    },
  };
}

export const SCENARIOS: readonly Scenario[] = [
  // A runs the relay and consumers in-process: killed mid-batch.
  stopped('kill -9 api-a', 'apiA', 'SIGKILL'),
  // The one with the payment simulator: payments wait in its queue meanwhile.
  stopped('kill -9 consumers-1', 'consumers1', 'SIGKILL'),
  stopped('SIGTERM api-a', 'apiA', 'SIGTERM'),
  outage('RabbitMQ cut', 'rabbitmq', 'cut', (s) => s.rabbitmqCutMs),
  outage('Redis cut', 'redis', 'cut', (s) => s.redisCutMs),
  outage('PostgreSQL cut', 'postgres', 'cut', (s) => s.postgresCutMs),
  // Connections stay open and nothing is forwarded: every query hangs rather than fails.
  outage('PostgreSQL partition', 'postgres', 'hold', (s) => s.postgresPartitionMs),
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
