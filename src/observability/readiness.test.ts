import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { CHECK_TIMEOUT_MS, Readiness } from './readiness.js';

const up = async () => {};
const down = async () => {
  throw new Error('connection refused');
};

function readiness(): Readiness {
  return new Readiness(createLogger('silent'));
}

describe('Readiness', () => {
  it('is ready when every dependency answers', async () => {
    const r = readiness();
    r.register({ name: 'database', critical: true, check: up });
    r.register({ name: 'redis', critical: false, check: up });
    expect(await r.report()).toEqual({ status: 'ready', checks: { database: 'up', redis: 'up' }, degraded: [] });
  });

  it('is degraded, naming them, when non-critical dependencies are down', async () => {
    const r = readiness();
    r.register({ name: 'database', critical: true, check: up });
    r.register({ name: 'redis', critical: false, check: down });
    r.register({ name: 'broker', critical: false, check: down });
    expect(await r.report()).toEqual({
      status: 'degraded',
      checks: { database: 'up', redis: 'down', broker: 'down' },
      degraded: ['redis', 'broker'],
    });
  });

  it('is unavailable when a critical dependency is down', async () => {
    const r = readiness();
    r.register({ name: 'database', critical: true, check: down });
    r.register({ name: 'redis', critical: false, check: up });
    expect((await r.report()).status).toBe('unavailable');
  });

  it('counts a check that hangs as down, after a bounded wait', async () => {
    const r = readiness();
    r.register({ name: 'database', critical: true, check: () => new Promise(() => {}) });
    const started = Date.now();
    expect(await r.report()).toMatchObject({ status: 'unavailable', checks: { database: 'down' } });
    expect(Date.now() - started).toBeLessThan(CHECK_TIMEOUT_MS + 1_000);
  });

  it('says stopping once shutdown has begun', async () => {
    const r = readiness();
    r.register({ name: 'database', critical: true, check: up });
    r.markStopping();
    expect((await r.report()).status).toBe('stopping');
  });

  it('refuses two checks under one name', () => {
    const r = readiness();
    r.register({ name: 'redis', critical: false, check: up });
    expect(() => r.register({ name: 'redis', critical: false, check: up })).toThrow(/twice/);
  });
});
