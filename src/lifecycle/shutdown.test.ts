import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { ShutdownRegistry } from './shutdown.js';

describe('ShutdownRegistry', () => {
  it('runs the phases in order, and within a phase the step registered last first', async () => {
    const ran: string[] = [];
    const shutdown = new ShutdownRegistry(createLogger('silent'));
    const step = (name: string) => async () => void ran.push(name);
    // Registered in start order, as app.ts does.
    shutdown.add('connections', 'embedded database', step('embedded database'));
    shutdown.add('connections', 'database pool', step('database pool'));
    shutdown.add('http', 'http', step('http'));
    shutdown.add('workers', 'relay', step('relay'));
    shutdown.add('connections', 'broker', step('broker'));
    shutdown.add('sockets', 'websockets', step('websockets'));
    await shutdown.stop();
    expect(ran).toEqual(['websockets', 'http', 'relay', 'broker', 'database pool', 'embedded database']);
  });

  it('goes on after a step fails, and runs each step only once', async () => {
    const ran: string[] = [];
    const shutdown = new ShutdownRegistry(createLogger('silent'));
    shutdown.add('connections', 'pool', async () => void ran.push('pool'));
    shutdown.add('http', 'http', async () => {
      ran.push('http');
      throw new Error('boom');
    });
    await Promise.all([shutdown.stop(), shutdown.stop()]);
    await shutdown.stop();
    expect(ran).toEqual(['http', 'pool']);
  });
});
