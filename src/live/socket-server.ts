// graphql-ws served on a `ws` server: what graphql-ws's own `useServer` does,
// with the timers and listeners it gives every socket made shared. A socket
// lives for hours, and at ten thousand of them what each one holds is the
// instance's memory: here a socket costs one small object and the library's
// own state, not two timers and eight closures of its own.
//   - keep-alive: one timer pings every socket once a period, a slice of
//     them at each tick; a socket that did not answer its previous ping is
//     terminated (graphql-ws pings each socket from its own interval, and
//     waits for each pong with its own timeout);
//   - connection_init wait: one timer sweeps the sockets still waiting, and
//     closes those past the wait with 4408, as graphql-ws would;
//   - the socket's listeners are the server's, shared by all its sockets.
import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logger.js';

/** What every socket's context carries from its handshake (graphql-ws's `ctx.extra`). */
export interface SocketHandshake {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

export interface SocketServerSettings {
  /** A socket that answers no ping for this long (one to two periods) is terminated. */
  keepAliveMs: number;
  /** A socket that has not sent connection_init within this long is closed with 4408. */
  connectionInitWaitMs: number;
  /** On dispose, how long the sockets get to finish their close handshake before they are cut. */
  closeWaitMs: number;
}

export interface SocketServer {
  /** Open sockets. */
  readonly size: number;
  /**
   * Closes every socket with 1001 and the server; the timers stop. Resolves once every socket has
   * closed: those that did not within `closeWaitMs` are cut.
   */
  dispose(): Promise<void>;
}

/** Unsent bytes a socket may hold before each send waits until it is written (see `send`). */
const SEND_AHEAD_BYTES = 64 * 1024;

/** How often the keep-alive timer pings its next slice of the sockets. */
const KEEP_ALIVE_TICK_MS = 250;

/** One open socket, as graphql-ws sees it (its `WebSocket`). A class: one copy of the methods for all. */
class ServedSocket {
  /** graphql-ws's handler of each message, set once by `opened`. */
  private handler: ((data: string) => Promise<void>) | null = null;
  /** Cleared by each ping, set by its pong. */
  answered = true;
  closed: ((code: number, reason: string) => Promise<void>) | null = null;

  constructor(
    readonly ws: WebSocket,
    readonly openedAt: number,
  ) {}

  get protocol(): string {
    return this.ws.protocol;
  }

  send(data: string): Promise<void> | undefined {
    if (this.ws.readyState !== this.ws.OPEN) return undefined;
    // graphql-ws waits for each send before it takes the next result: that is its backpressure (a replay
    // is paced by it). A socket whose earlier messages are out of the process has nothing to wait for,
    // and the message goes at once, with no callback, promise or later turn of its own: at 10k
    // subscribers that was much of a change's fan-out. Past SEND_AHEAD_BYTES unsent, each send waits.
    if (this.ws.bufferedAmount < SEND_AHEAD_BYTES) {
      this.ws.send(data);
      return undefined;
    }
    return new Promise((resolve, reject) => this.ws.send(data, (err) => (err ? reject(err) : resolve())));
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  onMessage(handler: (data: string) => Promise<void>): void {
    this.handler = handler;
  }

  receive(data: string): Promise<void> {
    return this.handler ? this.handler(data) : Promise.resolve();
  }
}

export function serveGraphQLWs<P extends Record<string, unknown> | undefined, E extends SocketHandshake>(
  options: ServerOptions<P, E>,
  wss: WebSocketServer,
  settings: SocketServerSettings,
  logger: Logger,
  /** graphql-ws's `ctx.extra` for a new socket; it must carry the socket and the upgrade request. */
  extraFor: (handshake: SocketHandshake) => E,
): SocketServer {
  const sockets = new Map<WebSocket, ServedSocket>();
  /** Called when the last socket has closed (while disposing). */
  let onEmpty: (() => void) | null = null;
  let disposed: Promise<void> | undefined;
  /** Sockets whose connection_init has not arrived, oldest first. */
  const awaitingInit = new Set<ServedSocket>();
  const server = makeServer<P, E>({
    ...options,
    // Timed here, for every socket at once (see the sweep below).
    connectionInitWaitTimeout: 0,
    onConnect: (ctx) => {
      const served = sockets.get(ctx.extra.socket);
      if (served) awaitingInit.delete(served);
      return options.onConnect?.(ctx);
    },
  });
  // A GraphQL-over-websocket client names the protocol; anything else is refused with 4406 by graphql-ws.
  wss.options.handleProtocols = handleProtocols;

  const internalError = (ws: WebSocket, err: unknown, what: string) => {
    logger.error({ err }, what);
    ws.close(CloseCode.InternalServerError, 'Internal server error');
  };

  /** Terminates a socket that did not answer its last ping, else pings it. */
  const ping = (served: ServedSocket) => {
    if (served.ws.readyState !== served.ws.OPEN) return;
    if (!served.answered) return served.ws.terminate();
    served.answered = false;
    served.ws.ping();
  };

  // The listeners every socket shares: `this` is the socket.
  function onSocketMessage(this: WebSocket, data: RawData) {
    const served = sockets.get(this);
    if (!served) return;
    served.receive(String(data)).catch((err: unknown) => internalError(this, err, 'websocket message failed'));
  }
  function onSocketPong(this: WebSocket) {
    const served = sockets.get(this);
    if (served) served.answered = true;
  }
  function onSocketError(this: WebSocket, err: Error) {
    internalError(this, err, 'websocket error');
  }
  function onSocketClose(this: WebSocket, code: number, reason: Buffer) {
    const served = sockets.get(this);
    if (!served) return;
    sockets.delete(this);
    awaitingInit.delete(served);
    if (sockets.size === 0) onEmpty?.();
    served.closed?.(code, String(reason)).catch((err: unknown) => logger.error({ err }, 'websocket close failed'));
  }

  wss.on('connection', (ws, request) => {
    const served = new ServedSocket(ws, Date.now());
    sockets.set(ws, served);
    awaitingInit.add(served);
    ws.on('error', onSocketError);
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('close', onSocketClose);
    served.closed = server.opened(served, extraFor({ socket: ws, request }));
  });
  wss.on('error', (err) => {
    logger.error({ err }, 'websocket server error');
    for (const ws of sockets.keys()) ws.close(CloseCode.InternalServerError, 'Internal server error');
  });

  // Each tick pings the next slice of the sockets, so each is pinged once a period and the pings (and
  // their pongs) are spread over it: ten thousand at once would hold up whatever is sent meanwhile.
  let turn = sockets.values();
  const tickMs = Math.min(KEEP_ALIVE_TICK_MS, settings.keepAliveMs);
  const slices = Math.max(1, Math.round(settings.keepAliveMs / tickMs));
  const keepAlive = setInterval(() => {
    let quota = Math.ceil(sockets.size / slices);
    while (quota-- > 0) {
      let next = turn.next();
      if (next.done) {
        turn = sockets.values();
        next = turn.next();
        if (next.done) return;
      }
      ping(next.value);
    }
  }, tickMs);
  keepAlive.unref();

  // The sockets still waiting for connection_init, swept a few times per wait.
  const initSweep = setInterval(
    () => {
      const tooOld = Date.now() - settings.connectionInitWaitMs;
      for (const served of awaitingInit) {
        if (served.openedAt > tooOld) break; // the rest opened later
        awaitingInit.delete(served);
        served.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
      }
    },
    Math.max(50, Math.floor(settings.connectionInitWaitMs / 4)),
  );
  initSweep.unref();

  return {
    get size() {
      return sockets.size;
    },
    dispose() {
      disposed ??= disposeOnce();
      return disposed;
    },
  };

  async function disposeOnce(): Promise<void> {
    clearInterval(keepAlive);
    clearInterval(initSweep);
    // No new sockets; the server is the HTTP server's, which its owner closes.
    wss.removeAllListeners('connection');
    await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    if (sockets.size === 0) return;
    const allClosed = new Promise<void>((resolve) => (onEmpty = resolve));
    for (const ws of sockets.keys()) ws.close(1001, 'Going away');
    const cut = setTimeout(() => {
      for (const ws of sockets.keys()) ws.terminate();
    }, settings.closeWaitMs);
    try {
      await allClosed;
    } finally {
      clearTimeout(cut);
    }
  }
}
