// The state API instances and consumers share: the order-change bus, the
// cache store and the rate-limit store. Over Redis when REDIS_URL is set,
// in this process otherwise; the rest of the code never knows which.
import type { Redis } from 'ioredis';
import type { Store } from 'graphql-rate-limit';
import { InMemoryKeyValueStore, RedisKeyValueStore, type KeyValueStore } from './cache/key-value-store.js';
import type { Config } from './config.js';
import { FailOpenRedisStore, InProcessRateLimitStore } from './limits/rate-limit-stores.js';
import {
  InProcessOrderChangeBus,
  orderChangesChannel,
  RedisOrderChangeBus,
  type OrderChangeBus,
} from './live/order-change-bus.js';
import type { Logger } from './logger.js';
import { closeRedis, createRedis, redisIsUp, waitUntilReady } from './redis.js';

/** `in-process`: no REDIS_URL. `degraded`: Redis configured but unreachable (the service still answers). */
export type SharedStateStatus = 'up' | 'degraded' | 'in-process';

export interface SharedState {
  bus: OrderChangeBus;
  cacheStore: KeyValueStore;
  rateLimitStore: Store;
  status(): Promise<SharedStateStatus>;
  /** Called each time Redis comes back after an outage. */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

export async function connectSharedState(
  config: Pick<Config, 'redisUrl' | 'redisKeyPrefix' | 'redisCommandTimeoutMs'>,
  logger: Logger,
  /** A consumer process only publishes; an API instance also receives. */
  options: { receiveChanges: boolean },
): Promise<SharedState> {
  if (!config.redisUrl) {
    const bus = new InProcessOrderChangeBus();
    return {
      bus,
      cacheStore: new InMemoryKeyValueStore(),
      rateLimitStore: new InProcessRateLimitStore(),
      status: async () => 'in-process',
      onReconnect: () => undefined,
      close: () => bus.close(),
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
  const bus = new RedisOrderChangeBus(commands, subscriber, orderChangesChannel(config.redisKeyPrefix), logger);
  let everReady = commands.status === 'ready';
  const reconnectListeners: (() => void)[] = [];
  commands.on('ready', () => {
    if (everReady) for (const listener of reconnectListeners) listener();
    everReady = true;
  });
  return {
    bus,
    cacheStore: new RedisKeyValueStore(commands),
    rateLimitStore: new FailOpenRedisStore(commands, logger),
    // Both connections: without the subscriber, live updates stop even though commands work.
    status: async () =>
      (await redisIsUp(commands)) && (!subscriber || subscriber.status === 'ready') ? 'up' : 'degraded',
    onReconnect: (listener) => reconnectListeners.push(listener),
    close: async () => {
      await bus.close();
      await Promise.all([closeRedis(commands), subscriber ? closeRedis(subscriber) : Promise.resolve()]);
    },
  };
}
