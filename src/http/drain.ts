// Stopping the HTTP server without cutting a request short: it stops
// accepting, each keep-alive connection is closed as soon as it has nothing
// in flight, and whatever is still running when the grace period ends is cut.
// Node's own connection tracking (the list behind closeIdleConnections) does
// the bookkeeping. Apollo's drain plugin keeps a map entry and a `close`
// listener for every socket and a `finish` listener for every request: at ten
// thousand websockets, those were a few hundred bytes each, for hours, to be
// used once at shutdown. Upgraded sockets (the websockets) are not HTTP
// connections here: the socket server closes them (socket-server.ts).
import type { Server } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

/** How often, while draining, the connections that finished their last request are closed. */
const IDLE_SWEEP_MS = 50;

/**
 * Resolves once every connection of `server` has closed; HTTP connections
 * still open after `graceMs` are cut. (The server also waits for its upgraded
 * sockets, which their own server closes.) Resolves true if nothing was cut.
 */
export async function drainHttpServer(server: Server, graceMs: number): Promise<boolean> {
  let graceful = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // close() has closed the idle connections; the busy ones become idle when their response is written.
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  const cut = setTimeout(() => {
    graceful = false;
    server.closeAllConnections();
  }, graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
  return graceful;
}

/** Apollo's drain phase: `drainHttpServer` (see above). */
export function drainHttpServerPlugin(server: Server, graceMs: number): ApolloServerPlugin<BaseContext> {
  return {
    async serverWillStart() {
      return {
        async drainServer() {
          await drainHttpServer(server, graceMs);
        },
      };
    },
  };
}
