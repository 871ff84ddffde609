import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDurationSeconds, parseRateLimit } from './config.js';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('runs on the embedded defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.rabbitmqUrl).toBeUndefined();
    expect(config.paymentSimulator).toBe(true);
    expect(config.runConsumers).toBe(true);
    expect(config.jwt.generated).toBe(true);
    expect(config.jwt.accessTtlSeconds).toBe(900);
    expect(config.jwt.refreshTtlSeconds).toBe(7 * 86400);
    expect(config.orderCacheTtlSeconds).toBe(300);
    expect(config.rateLimits.login).toEqual({ max: 10, windowMs: 60_000 });
    expect(config.introspection).toBe(true);
    expect(config.playground).toBe(true);
  });

  it('turns the payment simulator off by default once a real service is configured', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://localhost/orders' }).paymentSimulator).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgresql://x/y', PAYMENT_SIMULATOR: 'true' }).paymentSimulator).toBe(true);
  });

  it('runs the shipping simulator on the embedded defaults only, unless told, after 3s by default', () => {
    expect(loadConfig({}).shippingSimulator).toBe(true);
    expect(loadConfig({}).shippingSimulatorDelayMs).toBe(3000);
    expect(loadConfig({ RABBITMQ_URL: 'amqp://localhost' }).shippingSimulator).toBe(false);
    expect(loadConfig({ RABBITMQ_URL: 'amqp://x', SHIPPING_SIMULATOR: 'true' }).shippingSimulator).toBe(true);
    expect(loadConfig({ SHIPPING_SIMULATOR: 'false' }).shippingSimulator).toBe(false);
    expect(loadConfig({ SHIPPING_SIMULATOR_DELAY: '250ms' }).shippingSimulatorDelayMs).toBe(250);
    expect(errorOf({ SHIPPING_SIMULATOR: 'maybe' }).variable).toBe('SHIPPING_SIMULATOR');
    expect(errorOf({ SHIPPING_SIMULATOR_DELAY: 'soon' }).variable).toBe('SHIPPING_SIMULATOR_DELAY');
  });

  it('turns introspection and the playground off in production unless asked', () => {
    const secret = 'x'.repeat(40);
    const prod = loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret });
    expect([prod.introspection, prod.playground]).toEqual([false, false]);
    const asked = loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, GRAPHQL_INTROSPECTION: 'true' });
    expect(asked.introspection).toBe(true);
  });

  it.each([
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ RABBITMQ_URL: 'http://localhost' }, 'RABBITMQ_URL'],
    [{ DATABASE_READ_URLS: 'postgresql://replica/x' }, 'DATABASE_READ_URLS'],
    [{ ACCESS_TOKEN_TTL: '15 minutes' }, 'ACCESS_TOKEN_TTL'],
    [{ RATE_LIMIT_LOGIN: '10' }, 'RATE_LIMIT_LOGIN'],
    [{ RATE_LIMIT_DEFAULT: '0/1m' }, 'RATE_LIMIT_DEFAULT'],
    [{ RUN_CONSUMERS: 'maybe' }, 'RUN_CONSUMERS'],
    [{ ADMIN_EMAIL: 'admin@example.com' }, 'ADMIN_PASSWORD'],
    [{ ADMIN_EMAIL: 'nope', ADMIN_PASSWORD: 'password-1' }, 'ADMIN_EMAIL'],
    // A one-letter top-level domain passes a loose pattern but not registration (auth/credentials.ts).
    [{ ADMIN_EMAIL: 'admin@example.c', ADMIN_PASSWORD: 'password-1' }, 'ADMIN_EMAIL'],
    [{ ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'x'.repeat(73) }, 'ADMIN_PASSWORD'],
    [{ ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD'],
    [{ ORDER_CACHE_TTL: '-5' }, 'ORDER_CACHE_TTL'],
    [{ BCRYPT_COST: '4' }, 'BCRYPT_COST'],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
  ])('refuses %j naming %s', (env, variable) => {
    const error = errorOf(env as Record<string, string>);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('lets the payment simulator answer at once (a zero delay), and no other duration be zero', () => {
    expect(loadConfig({ PAYMENT_SIMULATOR_DELAY: '0s' }).paymentSimulatorDelayMs).toBe(0);
    expect(errorOf({ ACCESS_TOKEN_TTL: '0s' }).variable).toBe('ACCESS_TOKEN_TTL');
  });

  it('parses durations and rate limits', () => {
    expect(parseDurationSeconds('X', '250ms')).toBe(0.25);
    expect(parseDurationSeconds('X', '90')).toBe(90);
    expect(parseDurationSeconds('X', '2h')).toBe(7200);
    expect(parseRateLimit('X', '60/1m')).toEqual({ max: 60, windowMs: 60_000 });
    expect(parseRateLimit('X', '5/30s')).toEqual({ max: 5, windowMs: 30_000 });
  });
});
