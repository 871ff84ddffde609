// A RabbitMQ vhost of the test file's own when TEST_RABBITMQ_URL is set
// (deleted afterwards), plus a TCP proxy the test owns for outage drills.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { testServices } from './services.js';

const run = promisify(execFile);

export interface TestVhost {
  /** amqp URL of the vhost, or undefined: the in-process bus. */
  url: string | undefined;
  drop(): Promise<void>;
}

export async function createTestVhost(): Promise<TestVhost> {
  const baseUrl = testServices.rabbitmqUrl;
  if (!baseUrl) return { url: undefined, drop: async () => undefined };
  const name = `orders_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const user = decodeURIComponent(new URL(baseUrl).username || 'guest');
  await run('rabbitmqctl', ['-q', 'add_vhost', name]);
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, user, '.*', '.*', '.*']);
  const url = new URL(baseUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    url: url.toString(),
    drop: () => run('rabbitmqctl', ['-q', 'delete_vhost', name]).then(() => undefined),
  };
}

/** The same URL with its host and port swapped, e.g. to go through a proxy. */
export function viaPort(url: string, port: number): string {
  const next = new URL(url);
  next.hostname = '127.0.0.1';
  next.port = String(port);
  return next.toString();
}

/**
 * A TCP proxy in front of a server. cut() closes every connection and
 * refuses new ones, as a broker outage would; restore() listens again on the
 * same port.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}
