// The HTTP drain on a real server and real keep-alive connections: idle ones
// close at once, a request in flight is answered before its connection
// closes, and one that outlasts the grace period is cut.
import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { drainHttpServer } from './drain.js';

let server: Server;
let agent: Agent;

async function start(handlerDelayMs: number): Promise<number> {
  server = createServer((req, res) => {
    const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? handlerDelayMs);
    setTimeout(() => res.end('done'), delay);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  agent = new Agent({ keepAlive: true, maxSockets: 4 });
  return (server.address() as AddressInfo).port;
}

function get(port: number, delayMs: number): Promise<{ status: number; body: string; socketClosed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/?delay=${delayMs}`, agent }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socketClosed }));
    });
    const socketClosed = new Promise<void>((done) => req.once('socket', (s) => s.once('close', () => done())));
    req.on('error', reject);
    req.end();
  });
}

afterEach(async () => {
  agent?.destroy();
  server?.closeAllConnections();
  if (server?.listening) await new Promise((resolve) => server.close(resolve));
});

describe('draining the HTTP server', () => {
  it('closes an idle keep-alive connection at once, and resolves as graceful', async () => {
    const port = await start(0);
    const first = await get(port, 0);
    expect(first.status).toBe(200);
    const started = Date.now();
    expect(await drainHttpServer(server, 5_000)).toBe(true);
    await first.socketClosed;
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('answers a request in flight, then closes its connection', async () => {
    const port = await start(0);
    const slow = get(port, 400);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const drained = drainHttpServer(server, 5_000);
    const reply = await slow;
    expect(reply).toMatchObject({ status: 200, body: 'done' });
    expect(await drained).toBe(true);
    await reply.socketClosed;
    expect(server.listening).toBe(false);
  });

  it('cuts a request that outlasts the grace period, and resolves as not graceful', async () => {
    const port = await start(0);
    const stuck = get(port, 60_000);
    stuck.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    expect(await drainHttpServer(server, 300)).toBe(false);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3_000);
    await expect(stuck).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});
