// The real topology of the fault suite, on this machine: two compiled API
// instances (A runs the relay and consumers in-process, B has
// RUN_CONSUMERS=false), two compiled consumers processes (the first also runs
// the payment simulator, the only one), and every connection they make to
// PostgreSQL, Redis and RabbitMQ through a TCP proxy the suite owns, on a
// database, Redis prefix and RabbitMQ vhost of the run's own.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createWriteStream, mkdtempSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/lib/infra.js';
import { ROOT } from '../support/compiled.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestVhost, type TestVhost } from '../support/rabbitmq.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

export const FAULT_ADMIN = { email: 'faults-admin@orders.test', password: 'faults-admin-password' };
const JWT_SECRET = 'fault-suite-secret-long-enough-for-hs256-0123456789';
const NO_LIMIT = '100000000/1m';
const run = promisify(execFile);

/** The vhost's connections and channels as RabbitMQ sees them: which RPC a stuck process waits on. */
async function brokerView(vhost: string): Promise<string> {
  const list = (what: string, fields: string[]) =>
    run('rabbitmqctl', ['-q', what, '-p', vhost, ...fields]).then((r) => `${what}\n${r.stdout}`);
  return [
    await list('list_connections', ['name', 'state', 'channels', 'recv_oct', 'send_oct']),
    await list('list_channels', ['connection', 'number', 'consumer_count', 'messages_unacknowledged', 'confirm']),
    await list('list_queues', ['name', 'messages_ready', 'messages_unacknowledged', 'consumers']),
  ].join('\n');
}

export interface NodeProcessOptions {
  name: string;
  script: string;
  /** The log line (`msg`) that says the process is ready. */
  readyMessage: RegExp;
  env: Record<string, string>;
  logDir: string;
  /** Written beside the log when the process is not ready in time: what the broker sees of it. */
  diagnose?: () => Promise<string>;
}

/** One compiled process of the topology, which the nemesis kills and the suite starts again. */
export class NodeProcess {
  child: ChildProcess | null = null;
  /** How each run ended, in order: for the report. */
  readonly exits: { code: number | null; signal: NodeJS.Signals | null }[] = [];
  private exited: Promise<void> = Promise.resolve();
  private log: WriteStream | null = null;
  private runs = 0;

  constructor(readonly options: NodeProcessOptions) {}

  get name(): string {
    return this.options.name;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves once it logs that it is ready. */
  async start(timeoutMs = 90_000): Promise<void> {
    this.runs++;
    const logPath = join(this.options.logDir, `${this.name}.${this.runs}.log`);
    this.log = createWriteStream(logPath);
    const child = spawn(process.execPath, [this.options.script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const log = this.log;
    child.stderr!.pipe(log, { end: false });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exits.push({ code, signal });
        resolve();
      }),
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        void (this.options.diagnose?.() ?? Promise.resolve(''))
          .catch((error: unknown) => String(error))
          .then((text) => writeFileSync(`${logPath}.not-ready.txt`, text));
        reject(new Error(`${this.name} not ready in ${timeoutMs} ms (log ${logPath})`));
      }, timeoutMs);
      let pending = '';
      let ready = false;
      child.stdout!.on('data', (chunk: Buffer) => {
        log.write(chunk);
        if (ready) return;
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.startsWith('{')) continue;
          const { msg } = JSON.parse(line) as { msg?: string };
          if (msg && this.options.readyMessage.test(msg)) {
            ready = true;
            pending = '';
            clearTimeout(timer);
            resolve();
          }
        }
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited before it was ready (log ${logPath})`));
      });
    });
  }

  /** Sends the signal and waits for the process to be gone. */
  async signal(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exits.at(-1) ?? { code: null, signal: null };
    this.child!.kill(signal);
    await this.exited;
    return this.exits.at(-1)!;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 20_000);
    await this.signal('SIGTERM');
    clearTimeout(timer);
    this.log?.end();
  }
}

export interface ClusterOptions {
  /** How long the payment simulator waits before paying. */
  paymentDelay: string;
}

export class Cluster {
  private constructor(
    readonly db: TestDatabase,
    readonly redis: TestRedis,
    readonly vhost: TestVhost,
    readonly proxies: { postgres: TcpProxy; redis: TcpProxy; rabbitmq: TcpProxy },
    readonly apiA: NodeProcess,
    readonly apiB: NodeProcess,
    readonly consumers1: NodeProcess,
    readonly consumers2: NodeProcess,
    readonly logDir: string,
  ) {}

  /** Where a load balancer would send requests: both instances, whether up or not. */
  get apiUrls(): string[] {
    return [this.apiA, this.apiB].map((api) => `http://127.0.0.1:${api.options.env.PORT}/graphql`);
  }

  get processes(): NodeProcess[] {
    return [this.apiA, this.apiB, this.consumers1, this.consumers2];
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    const redis = createTestRedis();
    if (!redis) throw new Error('the fault suite needs TEST_REDIS_URL');
    const db = await createTestDatabase();
    const vhost = await createTestVhost();
    if (!vhost.url) throw new Error('the fault suite needs TEST_RABBITMQ_URL');
    const proxies = {
      postgres: await startTcpProxy(db.url),
      redis: await startTcpProxy(redis.url),
      rabbitmq: await startTcpProxy(vhost.url),
    };
    const logDir = mkdtempSync(join(tmpdir(), 'order-service-faults-'));
    const vhostName = decodeURIComponent(new URL(vhost.url).pathname.slice(1));
    const common: Record<string, string> = {
      // As in the Docker image: production error masking and Apollo's own signal handling.
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      JWT_SECRET,
      ACCESS_TOKEN_TTL: '2h',
      BCRYPT_COST: '10',
      DATABASE_URL: proxies.postgres.url,
      REDIS_URL: proxies.redis.url,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      RABBITMQ_URL: proxies.rabbitmq.url,
      DATA_DIR: logDir,
      SEED_DEMO_DATA: 'false',
      MIGRATE_ON_START: 'false',
      PAYMENT_SIMULATOR: 'false',
      SHIPPING_SIMULATOR: 'false',
      SHUTDOWN_TIMEOUT: '10s',
      RATE_LIMIT_LOGIN: NO_LIMIT,
      RATE_LIMIT_LOGIN_IP: NO_LIMIT,
      RATE_LIMIT_REGISTER: NO_LIMIT,
      RATE_LIMIT_CREATE_ORDER: NO_LIMIT,
      RATE_LIMIT_DEFAULT: NO_LIMIT,
    };
    const api = async (name: string, env: Record<string, string>) =>
      new NodeProcess({
        name,
        script: 'dist/src/main.js',
        readyMessage: /^order service ready/,
        env: { ...common, PORT: String(await freePort()), ...env },
        logDir,
        diagnose: () => brokerView(vhostName),
      });
    const consumers = (name: string, env: Record<string, string>) =>
      new NodeProcess({
        name,
        script: 'dist/consumers/main.js',
        readyMessage: /^consumers ready$/,
        env: { ...common, ...env },
        logDir,
        diagnose: () => brokerView(vhostName),
      });
    const cluster = new Cluster(
      db,
      redis,
      vhost,
      proxies,
      // A migrates (once, first) and seeds the admin.
      await api('api-a', {
        RUN_CONSUMERS: 'true',
        MIGRATE_ON_START: 'true',
        ADMIN_EMAIL: FAULT_ADMIN.email,
        ADMIN_PASSWORD: FAULT_ADMIN.password,
      }),
      await api('api-b', { RUN_CONSUMERS: 'false' }),
      consumers('consumers-1', {
        PAYMENT_SIMULATOR: 'true',
        PAYMENT_SIMULATOR_DELAY: options.paymentDelay,
        // Every order is paid: "stuck" then means anything but PAID.
        PAYMENT_SIMULATOR_FAILURE_RATE: '0',
      }),
      consumers('consumers-2', {}),
      logDir,
    );
    try {
      await cluster.apiA.start();
      await Promise.all([cluster.apiB.start(), cluster.consumers1.start(), cluster.consumers2.start()]);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  async stop(): Promise<void> {
    for (const proxy of Object.values(this.proxies)) proxy.restore();
    await Promise.all(this.processes.map((p) => p.stop()));
    await Promise.all(Object.values(this.proxies).map((p) => p.close()));
    await this.db.drop();
    await this.redis.drop();
    await this.vhost.drop();
  }
}
