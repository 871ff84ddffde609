// A TCP proxy the test owns, between the service and a shared server: cutting
// it is how a test takes the database away without touching the real one.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The URL with its host and port replaced by the proxy's. */
  url: string;
  /** The proxy's own port. */
  port: number;
  /** Drops every connection and refuses new ones until restore(). */
  cut(): void;
  /**
   * A partition: every connection stays open but nothing is forwarded, and
   * new connections are accepted and never answered, until restore() (which
   * drops the held connections).
   */
  hold(): void;
  restore(): void;
  close(): Promise<void>;
}

const DEFAULT_PORTS: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379, 'amqp:': 5672 };

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || DEFAULT_PORTS[target.protocol] || 5432);
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let mode: 'open' | 'cut' | 'held' = 'open';
  const server: Server = createServer((client) => {
    if (mode === 'cut') return client.destroy();
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (mode === 'held') return client.pause();
    const upstream = connect(targetPort, target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      pairs.delete(pair);
    });
    for (const socket of pair) {
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);
  return {
    url: url.toString(),
    port: address.port,
    cut() {
      mode = 'cut';
      for (const socket of sockets) socket.destroy();
    },
    hold() {
      mode = 'held';
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    restore() {
      if (mode === 'held') for (const socket of sockets) socket.destroy();
      mode = 'open';
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
