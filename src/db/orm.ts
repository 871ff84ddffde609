// Builds the ORM for a database URL: the same entities, driver and migrations
// whether the URL points at PostgreSQL or at the embedded PGlite server.
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import type { Logger } from '../logger.js';
import { migrations } from '../../migrations/index.js';
import { OutboxMessage, ProcessedMessage } from '../outbox/outbox.entity.js';

export type Orm = MikroORM;

export interface OrmOptions {
  url: string;
  /** The features' entities (bootstrap/entities.ts); the outbox and inbox tables are added here. */
  entities: readonly (abstract new (...args: never[]) => unknown)[];
  readUrls?: string[];
  poolSize?: number;
  logger?: Logger;
}

export async function createOrm(options: OrmOptions): Promise<Orm> {
  const log = options.logger?.child({ component: 'orm' });
  return MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: options.url,
    entities: [...options.entities, OutboxMessage, ProcessedMessage],
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    ensureDatabase: false,
    discovery: { warnWhenNoEntities: true },
    pool: { min: 0, max: options.poolSize ?? 10, idleTimeoutMillis: 30_000 },
    replicas: (options.readUrls ?? []).map((clientUrl, i) => ({ name: `read-${i + 1}`, clientUrl })),
    // Writes and reads inside a transaction always use the primary; plain reads may use replicas.
    preferReadReplicas: true,
    migrations: {
      migrationsList: migrations,
      tableName: 'mikro_orm_migrations',
      snapshot: false,
      silent: true,
      allOrNothing: true,
    },
    logger: (message: string) => log?.debug(message),
    debug: false,
  });
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

export async function pingDatabase(orm: Orm): Promise<void> {
  await orm.em.fork().execute('select 1');
}
