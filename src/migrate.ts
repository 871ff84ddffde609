// Applies pending migrations and exits: `npm run migrate`.
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config.js';
import { startEmbeddedPostgres } from './db/embedded.js';
import { createOrm, migrate } from './db/orm.js';

try {
  const config = loadConfig();
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: `${config.dataDir}/pg` });
  const orm = await createOrm({ url: config.databaseUrl ?? (embedded as { url: string }).url });
  try {
    const applied = await migrate(orm);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
  } finally {
    await orm.close(true);
    await embedded?.stop();
  }
} catch (error) {
  console.error(
    `order-service: migrate failed: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
