// The embedded baselines' database: PGlite on a copy of the service's data
// directory, served over the wire protocol exactly as the service serves its
// own (src/db/embedded.ts), for pgbench and the plain read server.
import { startEmbeddedPostgres } from '../../src/db/embedded.js';

const embedded = await startEmbeddedPostgres({
  dataDir: process.env.PGLITE_DIR,
  port: Number(process.env.PORT),
  // pgbench holds one connection per client.
  maxConnections: 100,
});
process.on('SIGTERM', () => {
  void embedded.stop().then(() => process.exit(0));
});
console.log(`ready ${embedded.url}`);
