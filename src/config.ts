// One typed configuration, read once from the environment. A bad value stops
// the process at start with one line naming the variable (see main.ts).
//
// Long on purpose: every setting is read and checked here, in one place, so
// the README's table and this file can be compared line by line.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import proxyaddr from 'proxy-addr';
import { normalizeEmail, validatePassword } from './auth/index.js';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface RateLimit {
  max: number;
  windowMs: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Which hops in X-Forwarded-For to believe (Express's `trust proxy`); false: the socket's own address. */
  trustProxy: TrustProxy;
  /** Origins a browser may call the API from: '*' any; otherwise the exact origins listed (the API's own always). */
  corsOrigins: '*' | string[];
  /** Where /metrics is served: null on the API's own port (as /healthz and /readyz), else a port of its own. */
  metrics: { port: number; host: string } | null;
  /** Unset: embedded PGlite under dataDir. */
  databaseUrl: string | undefined;
  databaseReadUrls: string[];
  /** Connections per pool; PGlite runs one statement at a time, so more buys nothing there. */
  databasePoolSize: number;
  /** The hot statements prepared once per connection (db/statements.ts says where, and when not); never on PGlite. */
  databasePreparedStatements: boolean;
  redisUrl: string | undefined;
  /** Put before every Redis key and channel, so several deployments (or test runs) can share one Redis. */
  redisKeyPrefix: string;
  /** How long a Redis command may take before the caller falls back (cache) or fails open (limits). */
  redisCommandTimeoutMs: number;
  rabbitmqUrl: string | undefined;
  dataDir: string;
  jwt: {
    secret: string;
    /** True when no JWT_SECRET was given and a random one was made for this run. */
    generated: boolean;
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
  };
  /** No DATABASE_URL, REDIS_URL or RABBITMQ_URL: everything embedded, as `npm start` on a laptop. */
  embeddedDefaults: boolean;
  runConsumers: boolean;
  paymentSimulator: boolean;
  /** How long the payment simulator waits before answering an order.created. */
  paymentSimulatorDelayMs: number;
  /** Share of simulated payments that fail, 0..1. */
  paymentSimulatorFailureRate: number;
  /** Ship paid orders and deliver the shipments by themselves (the development stand-in for a shipping service). */
  shippingSimulator: boolean;
  /** How long the shipping simulator waits before each shipment and each delivery. */
  shippingSimulatorDelayMs: number;
  admin: { email: string; password: string } | undefined;
  orderCacheTtlSeconds: number;
  live: {
    /** Most changes that may wait for one subscriber before it is closed with 1013. */
    maxBufferedChanges: number;
    /** Most bytes that may wait for one subscriber (its socket's unsent bytes included). */
    maxBufferedBytes: number;
    /** Longest wait before an instance reads the change feed when no signal wakes it. */
    pollIntervalMs: number;
    /** How long changes are kept for resuming; older cursors are refused. */
    retentionMs: number;
  };
  seedDemoData: boolean;
  migrateOnStart: boolean;
  introspection: boolean;
  playground: boolean;
  bcryptCost: number;
  rateLimits: {
    login: RateLimit;
    loginIp: RateLimit;
    register: RateLimit;
    createOrder: RateLimit;
    default: RateLimit;
  };
  logLevel: string;
  /** How long a graceful shutdown may take before the process gives up and exits 1. */
  shutdownTimeoutMs: number;
  notifications: NotificationsConfig;
  orders: {
    /** PENDING or PAYMENT_FAILED orders older than this are cancelled by system:expiry, their stock returned. */
    paymentTimeoutMs: number;
    /** Most units of one product in one order line. */
    maxLineQuantity: number;
  };
}

/** false, a hop count, or addresses, CIDRs and proxy-addr's names (loopback, linklocal, uniquelocal). */
export type TrustProxy = false | number | string[];

type Env = Record<string, string | undefined>;

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Parses `15m`, `7d`, `30s`, `250ms` or a bare number of seconds into seconds. */
export function parseDurationSeconds(variable: string, raw: string, options: { allowZero?: boolean } = {}): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!match) throw new ConfigError(variable, `expected a duration like 30s, 15m, 7d; got "${raw}"`);
  const seconds = Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] ?? 1);
  if (seconds < 0 || (seconds === 0 && !options.allowZero))
    throw new ConfigError(variable, 'must be greater than zero');
  return seconds;
}

/** Parses `max/window`, e.g. `10/1m`. */
export function parseRateLimit(variable: string, raw: string): RateLimit {
  const [max, window, extra] = raw.split('/');
  if (!max || !window || extra !== undefined || !/^\d+$/.test(max) || Number(max) < 1) {
    throw new ConfigError(variable, `expected max/window like 10/1m; got "${raw}"`);
  }
  return { max: Number(max), windowMs: Math.round(parseDurationSeconds(variable, window) * 1000) };
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, kb: 1000, mib: 1024 ** 2, mb: 1000 ** 2 };

/** Parses `4MiB`, `512KiB`, `65536` (bytes) into bytes. */
export function parseBytes(variable: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const match = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = BYTE_UNITS[match?.[2]?.toLowerCase() ?? 'x'];
  if (!match || unit === undefined) throw new ConfigError(variable, `expected a size like 4MiB or 65536; got "${raw}"`);
  const bytes = Number(match[1]) * unit;
  if (bytes < 1024 || bytes > 1024 ** 3) throw new ConfigError(variable, 'must be between 1KiB and 1GiB');
  return bytes;
}

function parseBoolean(variable: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(variable, `expected true or false; got "${raw}"`);
}

function parseInteger(variable: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(variable, `expected a whole number; got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(variable, `must be between ${min} and ${max}; got ${value}`);
  return value;
}

function parseUrl(variable: string, raw: string | undefined, protocols: string[]): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(variable, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(variable, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw.trim();
}

function parseKeyPrefix(raw: string | undefined): string {
  const prefix = raw?.trim() || 'orders:';
  if (!/^[\w.:-]{1,64}$/.test(prefix)) {
    throw new ConfigError('REDIS_KEY_PREFIX', `letters, digits and . : _ - only, at most 64; got "${prefix}"`);
  }
  return prefix;
}

/** `TRUST_PROXY`: off (unset, `false`, `0`), a hop count (`1`), or a comma list of addresses and CIDRs. */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const value = raw?.trim() ?? '';
  if (value === '' || value.toLowerCase() === 'false' || value === '0') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 32) throw new ConfigError('TRUST_PROXY', `expected at most 32 hops; got ${hops}`);
    return hops;
  }
  if (value.toLowerCase() === 'true') {
    // Trusting every hop lets any client choose its own address, and so its rate-limit bucket.
    throw new ConfigError('TRUST_PROXY', "give a hop count (1) or the proxies' addresses, not true");
  }
  const list = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  try {
    proxyaddr.compile(list);
  } catch (error) {
    throw new ConfigError('TRUST_PROXY', error instanceof Error ? error.message : String(error));
  }
  return list;
}

/** `CORS_ORIGINS`: `*`, or a comma list of origins such as `https://shop.example.com,http://localhost:5173`. */
export function parseCorsOrigins(raw: string | undefined, production: boolean): Config['corsOrigins'] {
  const value = raw?.trim() ?? '';
  if (value === '') return production ? [] : '*';
  if (value === '*') return '*';
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      let origin: string;
      try {
        origin = new URL(entry).origin;
      } catch {
        throw new ConfigError('CORS_ORIGINS', `"${entry}" is not an origin like https://shop.example.com`);
      }
      // An origin is scheme, host and port: nothing else may follow, or the browser's Origin never matches.
      if (origin === 'null' || origin !== entry.replace(/\/$/, '')) {
        throw new ConfigError('CORS_ORIGINS', `"${entry}" is not an origin like https://shop.example.com`);
      }
      return origin;
    });
}

function parseMetricsListener(env: Env, host: string): Config['metrics'] {
  const rawPort = env.METRICS_PORT?.trim();
  if (!rawPort) {
    if (env.METRICS_HOST?.trim()) throw new ConfigError('METRICS_HOST', 'needs METRICS_PORT');
    return null;
  }
  return { port: parseInteger('METRICS_PORT', rawPort, 0, 0, 65535), host: env.METRICS_HOST?.trim() || host };
}

function parseFraction(variable: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || value < 0 || value > 1) {
    throw new ConfigError(variable, `expected a number from 0 to 1; got "${raw}"`);
  }
  return value;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parseLogLevel(raw: string | undefined, fallback: string): string {
  const level = raw?.trim().toLowerCase() || fallback;
  if (!LOG_LEVELS.includes(level))
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}; got "${raw}"`);
  return level;
}

/** The admin to seed: the same rules as registering an account (auth/credentials.ts), failing as config. */
function parseAdmin(rawEmail: string | undefined, password: string | undefined): Config['admin'] {
  const given = rawEmail?.trim();
  if (Boolean(given) !== Boolean(password)) {
    throw new ConfigError(given ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL', 'ADMIN_EMAIL and ADMIN_PASSWORD go together');
  }
  if (!given || !password) return undefined;
  let email: string;
  try {
    email = normalizeEmail(given);
  } catch (error) {
    throw new ConfigError('ADMIN_EMAIL', error instanceof Error ? error.message : String(error));
  }
  try {
    validatePassword(password);
  } catch (error) {
    throw new ConfigError('ADMIN_PASSWORD', error instanceof Error ? error.message : String(error));
  }
  return { email, password };
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV?.trim() || 'development';
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    throw new ConfigError('NODE_ENV', `expected development, production or test; got "${nodeEnv}"`);
  }
  const production = nodeEnv === 'production';

  const secret = env.JWT_SECRET?.trim();
  if (production && !secret) throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production');
  if (secret !== undefined && secret !== '' && secret.length < 32) {
    throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
  }

  const databaseUrl = parseUrl('DATABASE_URL', env.DATABASE_URL, ['postgres:', 'postgresql:']);
  const redisUrl = parseUrl('REDIS_URL', env.REDIS_URL, ['redis:', 'rediss:']);
  const rabbitmqUrl = parseUrl('RABBITMQ_URL', env.RABBITMQ_URL, ['amqp:', 'amqps:']);
  const databaseReadUrls = (env.DATABASE_READ_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => parseUrl('DATABASE_READ_URLS', u, ['postgres:', 'postgresql:']) as string);
  if (databaseReadUrls.length > 0 && !databaseUrl) {
    throw new ConfigError('DATABASE_READ_URLS', 'needs DATABASE_URL (replicas of which primary?)');
  }

  const admin = parseAdmin(env.ADMIN_EMAIL, env.ADMIN_PASSWORD);

  const embeddedDefaults = !databaseUrl && !redisUrl && !rabbitmqUrl;

  const host = env.HOST?.trim() || '127.0.0.1';
  return {
    env: nodeEnv as Config['env'],
    host,
    port: parseInteger('PORT', env.PORT, 4000, 0, 65535),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS, production),
    metrics: parseMetricsListener(env, host),
    databaseUrl,
    databaseReadUrls,
    databasePoolSize: parseInteger('DATABASE_POOL_SIZE', env.DATABASE_POOL_SIZE, databaseUrl ? 20 : 10, 1, 500),
    databasePreparedStatements: databaseUrl
      ? parseBoolean('DATABASE_PREPARED_STATEMENTS', env.DATABASE_PREPARED_STATEMENTS, true)
      : false,
    redisUrl,
    redisKeyPrefix: parseKeyPrefix(env.REDIS_KEY_PREFIX),
    redisCommandTimeoutMs: parseInteger('REDIS_COMMAND_TIMEOUT_MS', env.REDIS_COMMAND_TIMEOUT_MS, 200, 10, 10_000),
    rabbitmqUrl,
    dataDir: resolve(env.DATA_DIR?.trim() || './.data'),
    jwt: {
      secret: secret || randomBytes(48).toString('base64url'),
      generated: !secret,
      issuer: env.JWT_ISSUER?.trim() || 'order-service',
      audience: env.JWT_AUDIENCE?.trim() || 'order-service-clients',
      accessTtlSeconds: parseDurationSeconds('ACCESS_TOKEN_TTL', env.ACCESS_TOKEN_TTL || '15m'),
      refreshTtlSeconds: parseDurationSeconds('REFRESH_TOKEN_TTL', env.REFRESH_TOKEN_TTL || '7d'),
    },
    runConsumers: parseBoolean('RUN_CONSUMERS', env.RUN_CONSUMERS, true),
    embeddedDefaults,
    paymentSimulator: parseBoolean('PAYMENT_SIMULATOR', env.PAYMENT_SIMULATOR, embeddedDefaults),
    paymentSimulatorDelayMs: Math.round(
      parseDurationSeconds('PAYMENT_SIMULATOR_DELAY', env.PAYMENT_SIMULATOR_DELAY || '2s', { allowZero: true }) * 1000,
    ),
    paymentSimulatorFailureRate: parseFraction('PAYMENT_SIMULATOR_FAILURE_RATE', env.PAYMENT_SIMULATOR_FAILURE_RATE, 0),
    shippingSimulator: parseBoolean('SHIPPING_SIMULATOR', env.SHIPPING_SIMULATOR, embeddedDefaults),
    shippingSimulatorDelayMs: Math.round(
      parseDurationSeconds('SHIPPING_SIMULATOR_DELAY', env.SHIPPING_SIMULATOR_DELAY || '3s', { allowZero: true }) *
        1000,
    ),
    admin,
    orderCacheTtlSeconds: parseInteger('ORDER_CACHE_TTL', env.ORDER_CACHE_TTL, 300, 1, 86_400),
    live: {
      maxBufferedChanges: parseInteger('LIVE_MAX_BUFFERED_CHANGES', env.LIVE_MAX_BUFFERED_CHANGES, 1000, 10, 1_000_000),
      maxBufferedBytes: parseBytes('LIVE_MAX_BUFFERED_BYTES', env.LIVE_MAX_BUFFERED_BYTES, 4 * 1024 * 1024),
      pollIntervalMs: Math.round(parseDurationSeconds('LIVE_POLL_INTERVAL', env.LIVE_POLL_INTERVAL || '500ms') * 1000),
      retentionMs: Math.round(parseDurationSeconds('LIVE_RETENTION', env.LIVE_RETENTION || '7d') * 1000),
    },
    seedDemoData: parseBoolean('SEED_DEMO_DATA', env.SEED_DEMO_DATA, true),
    migrateOnStart: parseBoolean('MIGRATE_ON_START', env.MIGRATE_ON_START, true),
    introspection: parseBoolean('GRAPHQL_INTROSPECTION', env.GRAPHQL_INTROSPECTION, !production),
    playground: parseBoolean('GRAPHQL_PLAYGROUND', env.GRAPHQL_PLAYGROUND, !production),
    bcryptCost: parseInteger('BCRYPT_COST', env.BCRYPT_COST, 12, 10, 15),
    rateLimits: {
      login: parseRateLimit('RATE_LIMIT_LOGIN', env.RATE_LIMIT_LOGIN || '10/1m'),
      loginIp: parseRateLimit('RATE_LIMIT_LOGIN_IP', env.RATE_LIMIT_LOGIN_IP || '100/1m'),
      register: parseRateLimit('RATE_LIMIT_REGISTER', env.RATE_LIMIT_REGISTER || '20/1m'),
      createOrder: parseRateLimit('RATE_LIMIT_CREATE_ORDER', env.RATE_LIMIT_CREATE_ORDER || '60/1m'),
      default: parseRateLimit('RATE_LIMIT_DEFAULT', env.RATE_LIMIT_DEFAULT || '1200/1m'),
    },
    logLevel: parseLogLevel(env.LOG_LEVEL, nodeEnv === 'test' ? 'warn' : 'info'),
    shutdownTimeoutMs: Math.round(parseDurationSeconds('SHUTDOWN_TIMEOUT', env.SHUTDOWN_TIMEOUT || '15s') * 1000),
    notifications: loadNotificationsConfig(env),
    orders: {
      paymentTimeoutMs: Math.round(
        parseDurationSeconds('ORDER_PAYMENT_TIMEOUT', env.ORDER_PAYMENT_TIMEOUT || '30m') * 1000,
      ),
      // The database's own check (order_items.quantity between 1 and 1000) is the ceiling.
      maxLineQuantity: parseInteger('MAX_LINE_QUANTITY', env.MAX_LINE_QUANTITY, 1000, 1, 1000),
    },
  };
}

// ---------------------------------------------------------------------------
// Notifications (SPEC section 11): email, in-app and webhooks.

export interface NotificationsConfig {
  /** Unset: each email is written as an .eml file under DATA_DIR/mail instead of sent. */
  smtpUrl: string | undefined;
  /** The From header, `address` or `Name <address>`; its domain also names the Message-IDs. */
  mailFrom: string;
  /** Waits before each retry of a failed email; after the last, it is given up (kept as failed). */
  emailRetryScheduleMs: number[];
  /** Waits before each retry of a failed webhook delivery; after the last, the endpoint is disabled. */
  webhookRetryScheduleMs: number[];
  /** Let webhooks target private, loopback and link-local addresses (development and tests only). */
  webhookAllowPrivateTargets: boolean;
  /** Longest wait for an endpoint's answer, connecting included. */
  webhookTimeoutMs: number;
}

const MAIL_FROM = /^(?:[^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/;

/** `5s,30s,2m`: each a duration (see parseDurationSeconds), at most 20. */
export function parseRetrySchedule(variable: string, raw: string): number[] {
  const steps = raw.split(',').map((step) => step.trim());
  if (steps.length > 20) throw new ConfigError(variable, 'at most 20 retries');
  return steps.map((step) => Math.round(parseDurationSeconds(variable, step) * 1000));
}

function parseWebhookTimeout(raw: string | undefined): number {
  const ms = Math.round(parseDurationSeconds('WEBHOOK_TIMEOUT', raw || '10s') * 1000);
  // One slow endpoint holds one sender for this long (one delivery per endpoint at a time).
  if (ms > 60_000) throw new ConfigError('WEBHOOK_TIMEOUT', 'must be at most 60s');
  return ms;
}

function loadNotificationsConfig(env: Env): NotificationsConfig {
  const mailFrom = env.MAIL_FROM?.trim() || 'Order service <no-reply@localhost>';
  if (!MAIL_FROM.test(mailFrom)) {
    throw new ConfigError('MAIL_FROM', `expected an address like orders@example.com or Shop <orders@example.com>`);
  }
  return {
    smtpUrl: parseUrl('SMTP_URL', env.SMTP_URL, ['smtp:', 'smtps:']),
    mailFrom,
    emailRetryScheduleMs: parseRetrySchedule('EMAIL_RETRY_SCHEDULE', env.EMAIL_RETRY_SCHEDULE || '5s,30s,2m,10m,1h,6h'),
    webhookRetryScheduleMs: parseRetrySchedule(
      'WEBHOOK_RETRY_SCHEDULE',
      env.WEBHOOK_RETRY_SCHEDULE || '5s,30s,2m,10m,1h,6h',
    ),
    webhookAllowPrivateTargets: parseBoolean('WEBHOOK_ALLOW_PRIVATE_TARGETS', env.WEBHOOK_ALLOW_PRIVATE_TARGETS, false),
    webhookTimeoutMs: parseWebhookTimeout(env.WEBHOOK_TIMEOUT),
  };
}
