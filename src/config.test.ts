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

  it('prepares statements on PostgreSQL unless switched off, and never on the embedded database', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://x/y' }).databasePreparedStatements).toBe(true);
    expect(
      loadConfig({ DATABASE_URL: 'postgresql://x/y', DATABASE_PREPARED_STATEMENTS: 'false' })
        .databasePreparedStatements,
    ).toBe(false);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'true' }).databasePreparedStatements).toBe(false);
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
    [{ DATABASE_URL: 'postgresql://x/y', DATABASE_PREPARED_STATEMENTS: 'sometimes' }, 'DATABASE_PREPARED_STATEMENTS'],
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

  it('trusts no proxy unless told: a hop count or a list of addresses and CIDRs', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.5,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.5',
      'loopback',
    ]);
    expect(errorOf({ TRUST_PROXY: 'true' }).variable).toBe('TRUST_PROXY');
    expect(errorOf({ TRUST_PROXY: 'not-an-address' }).variable).toBe('TRUST_PROXY');
  });

  it('allows every origin in development and none in production unless CORS_ORIGINS says', () => {
    expect(loadConfig({}).corsOrigins).toBe('*');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).corsOrigins).toEqual([]);
    expect(
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), CORS_ORIGINS: 'https://shop.example.com' })
        .corsOrigins,
    ).toEqual(['https://shop.example.com']);
    expect(loadConfig({ CORS_ORIGINS: 'http://localhost:5173/, https://a.example' }).corsOrigins).toEqual([
      'http://localhost:5173',
      'https://a.example',
    ]);
    for (const bad of ['shop.example.com', 'https://shop.example.com/app', 'null']) {
      expect(errorOf({ CORS_ORIGINS: bad }).variable).toBe('CORS_ORIGINS');
    }
  });

  it('serves /metrics on the API port unless METRICS_PORT is set', () => {
    expect(loadConfig({}).metrics).toBeNull();
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.2' }).metrics).toEqual({
      port: 9464,
      host: '10.0.0.2',
    });
    expect(errorOf({ METRICS_HOST: '10.0.0.2' }).variable).toBe('METRICS_HOST');
  });

  it('expires unpaid orders after 30 minutes and caps a line at 1000 units by default', () => {
    expect(loadConfig({}).orders).toEqual({ paymentTimeoutMs: 30 * 60_000, maxLineQuantity: 1000 });
    expect(loadConfig({ ORDER_PAYMENT_TIMEOUT: '45s', MAX_LINE_QUANTITY: '20' }).orders).toEqual({
      paymentTimeoutMs: 45_000,
      maxLineQuantity: 20,
    });
    expect(errorOf({ ORDER_PAYMENT_TIMEOUT: '0s' }).variable).toBe('ORDER_PAYMENT_TIMEOUT');
    expect(errorOf({ MAX_LINE_QUANTITY: '1001' }).variable).toBe('MAX_LINE_QUANTITY');
  });
});
