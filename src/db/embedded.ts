// The embedded database: PGlite served over the Postgres wire protocol on a
// loopback port, so the same driver and migrations run as on PostgreSQL.
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** A postgres:// URL for the driver. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite with its data under `dataDir` (or in memory when undefined)
 * and serves it on 127.0.0.1 at `port` (0: any free port).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string | undefined;
  port?: number;
  maxConnections?: number;
}): Promise<EmbeddedPostgres> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const db = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  await db.waitReady;
  // maxConnections defaults to 1, which kills a pool's second connection.
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 32,
  });
  await server.start();
  const url = `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
