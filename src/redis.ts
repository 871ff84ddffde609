// Redis connections, tuned so that a Redis that is down or slow costs a
// request a bounded delay instead of hanging it: commands time out, nothing
// queues while disconnected, and the client keeps reconnecting in the back.
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export interface RedisSettings {
  url: string;
  /** Added to every key by the client (ioredis `keyPrefix`); channel names are prefixed by their owners. */
  keyPrefix: string;
  commandTimeoutMs: number;
}

export type RedisRole = 'commands' | 'subscriber';

/**
 * `commands`: cache, rate limits, publishing. Fails fast while disconnected.
 * `subscriber`: SUBSCRIBE only. Nothing is queued while it connects and it
 * does not re-subscribe by itself: its owner subscribes on every `ready`
 * (live/change-signals.ts says why).
 */
export function createRedis(settings: RedisSettings, role: RedisRole, logger: Logger): Redis {
  const log = logger.child({ component: 'redis', role });
  const client = new Redis(settings.url, {
    keyPrefix: settings.keyPrefix,
    // The key prefix names the deployment: an operator (or a test) can tell its connections apart.
    connectionName: `order-service:${role}:${settings.keyPrefix}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: role === 'subscriber' ? null : 1,
    commandTimeout: role === 'subscriber' ? undefined : settings.commandTimeoutMs,
    connectTimeout: 2_000,
    // Keep trying forever, at most every 2 s: Redis coming back must heal the service without a restart.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
    autoResubscribe: false,
    lazyConnect: false,
    // Commands issued while a batch is on the wire leave together in the next one: under load, one
    // socket write (a system call, the dearest step of a cached read) carries many requests' commands.
    enableAutoPipelining: role === 'commands',
  });
  let down = false;
  client.on('error', (err: Error) => {
    // ioredis emits an error per failed reconnect; one line per outage is enough.
    if (!down) log.warn({ err: err.message }, 'redis unavailable; running degraded');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info('redis connection restored');
    down = false;
  });
  return client;
}

/** Waits (bounded) for the first connection, so a healthy start does not begin degraded. */
export async function waitUntilReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}

/** True when Redis answers a PING within the command timeout. */
export async function redisIsUp(client: Redis): Promise<boolean> {
  if (client.status !== 'ready') return false;
  try {
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  }
}

export async function closeRedis(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
