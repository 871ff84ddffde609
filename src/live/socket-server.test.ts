// graphql-ws served by socket-server.ts on a real `ws` server, with real
// sockets on the loopback: the protocol works, a socket that never says
// connection_init is closed with 4408, one that stops answering pings is
// terminated while one that answers stays, pings are spread over the
// period, and dispose waits for every socket to close, cutting the deaf.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { buildSchema } from 'graphql';
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createLogger } from '../logger.js';
import { serveGraphQLWs, type SocketHandshake, type SocketServer } from './socket-server.js';

const schema = buildSchema(`type Query { hello: String }`);
const rootValue = { hello: () => 'world' };

let http: Server;
let served: SocketServer | undefined;
const clients: WebSocket[] = [];

async function start(
  timing: { keepAliveMs: number; connectionInitWaitMs: number; closeWaitMs?: number },
  onConnect?: () => void,
) {
  const settings = { closeWaitMs: 2_000, ...timing };
  http = createServer();
  // As the service makes it: the socket server keeps the set of sockets.
  const wss = new WebSocketServer({ server: http, path: '/graphql', clientTracking: false });
  served = serveGraphQLWs<Record<string, unknown> | undefined, SocketHandshake>(
    {
      schema,
      roots: { query: rootValue },
      onConnect: () => {
        onConnect?.();
        return true;
      },
    },
    wss,
    settings,
    createLogger('silent'),
    (handshake) => handshake,
  );
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
}

async function open(
  url: string,
  options: WebSocket.ClientOptions = {},
  protocol: string[] = [GRAPHQL_TRANSPORT_WS_PROTOCOL],
) {
  const ws = new WebSocket(url, protocol, options);
  clients.push(ws);
  await once(ws, 'open');
  return ws;
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

function nextMessage(ws: WebSocket): Promise<{ type: string; id?: string; payload?: unknown }> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
}

async function acknowledged(url: string, options: WebSocket.ClientOptions = {}) {
  const ws = await open(url, options);
  const ack = nextMessage(ws);
  ws.send(JSON.stringify({ type: MessageType.ConnectionInit }));
  expect((await ack).type).toBe(MessageType.ConnectionAck);
  return ws;
}

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  await served?.dispose();
  served = undefined;
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
});

describe('graphql-ws on the shared socket server', () => {
  it('speaks the protocol: connection_init, an operation, its result and completion', async () => {
    const url = await start({ keepAliveMs: 10_000, connectionInitWaitMs: 3_000 });
    const ws = await acknowledged(url);
    const messages: { type: string; id?: string; payload?: unknown }[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    ws.send(JSON.stringify({ id: 'q1', type: MessageType.Subscribe, payload: { query: '{ hello }' } }));
    await expect.poll(() => messages.map((m) => m.type)).toEqual([MessageType.Next, MessageType.Complete]);
    expect(messages[0]).toEqual({ id: 'q1', type: MessageType.Next, payload: { data: { hello: 'world' } } });
  });

  it('refuses a socket that does not speak graphql-transport-ws with 4406', async () => {
    const url = await start({ keepAliveMs: 10_000, connectionInitWaitMs: 3_000 });
    // No subprotocol at all (a client that asks for another gets none, and gives up itself).
    const ws = await open(url, {}, []);
    expect(await closed(ws)).toBe(CloseCode.SubprotocolNotAcceptable);
  });

  it('closes a socket that sends no connection_init within the wait with 4408, and keeps one that did', async () => {
    const url = await start({ keepAliveMs: 10_000, connectionInitWaitMs: 200 });
    const silent = await open(url);
    const greeted = await acknowledged(url);
    const started = Date.now();
    expect(await closed(silent)).toBe(CloseCode.ConnectionInitialisationTimeout);
    // Within the wait and one sweep (a quarter of the wait) of it, with room for a busy machine.
    expect(Date.now() - started).toBeLessThan(2_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(greeted.readyState).toBe(WebSocket.OPEN);
  });

  it('terminates a socket that stops answering pings, and keeps one that answers', async () => {
    const url = await start({ keepAliveMs: 400, connectionInitWaitMs: 3_000 });
    const mute = await acknowledged(url, { autoPong: false });
    const alive = await acknowledged(url);
    const started = Date.now();
    // Terminated, not closed: no close frame, so the client sees 1006.
    expect(await closed(mute)).toBe(1006);
    // Pinged within one period, terminated at the next ping: two periods, plus a slow machine's slack.
    expect(Date.now() - started).toBeLessThan(3_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(alive.readyState).toBe(WebSocket.OPEN);
  });

  it('pings every socket once a period, a slice of them at each tick', async () => {
    const url = await start({ keepAliveMs: 1_000, connectionInitWaitMs: 3_000 });
    const sockets = await Promise.all(Array.from({ length: 12 }, () => acknowledged(url)));
    const pingedAt = new Map<WebSocket, number[]>();
    const started = Date.now();
    for (const ws of sockets)
      ws.on('ping', () => pingedAt.set(ws, [...(pingedAt.get(ws) ?? []), Date.now() - started]));
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const counts = sockets.map((ws) => pingedAt.get(ws)?.length ?? 0);
    // About two periods: two pings each, give or take a tick at either end.
    for (const count of counts) expect(count).toBeGreaterThanOrEqual(1);
    for (const count of counts) expect(count).toBeLessThanOrEqual(3);
    // Spread: the first pings fell in several ticks (four per period here), not in one burst.
    const firstTicks = new Set(sockets.map((ws) => Math.floor((pingedAt.get(ws)?.[0] ?? 0) / 250)));
    expect(firstTicks.size).toBeGreaterThanOrEqual(3);
  });

  it('closes a socket whose handler fails with 4500, without telling the client why', async () => {
    const url = await start({ keepAliveMs: 10_000, connectionInitWaitMs: 3_000 }, () => {
      throw new Error('secret detail');
    });
    const ws = await open(url);
    const reason = new Promise<string>((resolve) => ws.once('close', (_code, why) => resolve(String(why))));
    const code = closed(ws);
    ws.send(JSON.stringify({ type: MessageType.ConnectionInit }));
    expect(await code).toBe(CloseCode.InternalServerError);
    expect(await reason).toBe('Internal server error');
  });

  it('closes every open socket with 1001 when disposed', async () => {
    const url = await start({ keepAliveMs: 10_000, connectionInitWaitMs: 3_000 });
    const ws = await acknowledged(url);
    const code = closed(ws);
    await served?.dispose();
    served = undefined;
    expect(await code).toBe(1001);
  });

  it('counts its open sockets', async () => {
    const url = await start({ keepAliveMs: 10_000, connectionInitWaitMs: 3_000 });
    const first = await acknowledged(url);
    await acknowledged(url);
    expect(served?.size).toBe(2);
    const gone = closed(first);
    first.close();
    await gone;
    await expect.poll(() => served?.size).toBe(1);
  });

  it('on dispose, waits for the sockets to close, and cuts one that never answers the close', async () => {
    const url = await start({ keepAliveMs: 10_000, connectionInitWaitMs: 10_000, closeWaitMs: 300 });
    const polite = await acknowledged(url);
    // A client that upgrades and then reads nothing: it never answers the server's close frame.
    const { port } = new URL(url);
    const deaf = connect(Number(port), '127.0.0.1');
    await once(deaf, 'connect');
    deaf.write(
      'GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
        `Sec-WebSocket-Protocol: ${GRAPHQL_TRANSPORT_WS_PROTOCOL}\r\n\r\n`,
    );
    deaf.resume(); // read, and never answer
    await expect.poll(() => served?.size).toBe(2);
    const deafClosed = once(deaf, 'close');
    const politeCode = closed(polite);
    const started = Date.now();
    await served?.dispose();
    const took = Date.now() - started;
    expect(await politeCode).toBe(1001);
    await deafClosed;
    expect(served?.size).toBe(0);
    // Not before the wait (the deaf one kept it open), and not much after it.
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3_000);
    served = undefined;
  });
});
