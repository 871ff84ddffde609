// The state API instances and consumers share: the change signals, the
// cache store and the rate-limit store. Over Redis when REDIS_URL is set,
// in this process otherwise; the rest of the code never knows which.
import type { Redis } from 'ioredis';
import { InMemoryKeyValueStore, RedisKeyValueStore, type KeyValueStore } from './cache/key-value-store.js';
import type { Config } from './config.js';
import { FailOpenRedisStore, InProcessRateLimitStore, type RateLimitStore } from './limits/rate-limit-stores.js';
import {
  changeSignalsChannel,
  InProcessChangeSignals,
  RedisChangeSignals,
  type ChangeSignals,
  type SignalObserver,
} from './live/change-signals.js';
import type { Logger } from './logger.js';
import { closeRedis, createRedis, redisIsUp, waitUntilReady } from './redis.js';

/** `in-process`: no REDIS_URL. `degraded`: Redis configured but unreachable (the service still answers). */
export type SharedStateStatus = 'up' | 'degraded' | 'in-process';

export interface SharedState {
  signals: ChangeSignals;
  cacheStore: KeyValueStore;
  rateLimitStore: RateLimitStore;
  status(): Promise<SharedStateStatus>;
  /** Called each time Redis comes back after an outage. */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

export async function connectSharedState(
  config: Pick<Config, 'redisUrl' | 'redisKeyPrefix' | 'redisCommandTimeoutMs'>,
  logger: Logger,
  /** A consumer process only signals; an API instance also listens. */
  options: { receiveChanges: boolean; observer?: SignalObserver; heartbeatMs?: number },
): Promise<SharedState> {
  if (!config.redisUrl) {
    const signals = new InProcessChangeSignals();
    return {
      signals,
      cacheStore: new InMemoryKeyValueStore(),
      rateLimitStore: new InProcessRateLimitStore(),
      status: async () => 'in-process',
      onReconnect: () => undefined,
      close: () => signals.close(),
    };
  }
  const settings = {
    url: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    commandTimeoutMs: config.redisCommandTimeoutMs,
  };
  const commands = createRedis(settings, 'commands', logger);
  const subscriber: Redis | undefined = options.receiveChanges
    ? createRedis(settings, 'subscriber', logger)
    : undefined;
  if (!(await waitUntilReady(commands, 2_000))) logger.warn('redis not reachable at start; running degraded');
  if (subscriber) await waitUntilReady(subscriber, 2_000);
  const signals = new RedisChangeSignals(commands, subscriber, changeSignalsChannel(config.redisKeyPrefix), logger, {
    observer: options.observer,
    heartbeatMs: options.heartbeatMs,
  });
  let everReady = commands.status === 'ready';
  const reconnectListeners: (() => void)[] = [];
  commands.on('ready', () => {
    if (everReady) for (const listener of reconnectListeners) listener();
    everReady = true;
  });
  return {
    signals,
    cacheStore: new RedisKeyValueStore(commands),
    rateLimitStore: new FailOpenRedisStore(commands, logger),
    // Whether the signals are heard is the live side's own readiness check (live/live-orders.ts).
    status: async () => ((await redisIsUp(commands)) ? 'up' : 'degraded'),
    onReconnect: (listener) => reconnectListeners.push(listener),
    close: async () => {
      await signals.close();
      await Promise.all([closeRedis(commands), subscriber ? closeRedis(subscriber) : Promise.resolve()]);
    },
  };
}
