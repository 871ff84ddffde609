// Builds the ORM for a database URL: the same entities, driver and migrations
// whether the URL points at PostgreSQL or at the embedded PGlite server.
import type { ConnectionType } from '@mikro-orm/core';
import { MikroORM, PostgreSqlDriver, type PostgreSqlConnection } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import type { Logger } from '../logger.js';
import { migrations } from '../../migrations/index.js';
import { OutboxMessage, ProcessedMessage } from '../outbox/outbox.entity.js';
import type { ReadReplicas } from './read-replicas.js';

export type Orm = MikroORM;

export interface OrmOptions {
  url: string;
  /** The features' entities (bootstrap/entities.ts); the outbox and inbox tables are added here. */
  entities: readonly (abstract new (...args: never[]) => unknown)[];
  readUrls?: string[];
  /** Routes the reads that may use a replica (read-replicas.ts); required with `readUrls`. */
  replicas?: ReadReplicas;
  poolSize?: number;
  logger?: Logger;
}

/** The driver with reads sent where `replicas` says: a live replica, else the primary. */
function routedDriver(replicas: ReadReplicas) {
  return class ReplicaRoutedDriver extends PostgreSqlDriver {
    override getConnection(type: ConnectionType = 'write'): PostgreSqlConnection {
      if (type === 'write') return this.connection;
      return replicas.pick() ?? this.connection;
    }

    readReplicas(): PostgreSqlConnection[] {
      return this.replicas;
    }
  };
}

export async function createOrm(options: OrmOptions): Promise<Orm> {
  const log = options.logger?.child({ component: 'orm' });
  const readUrls = options.readUrls ?? [];
  if (readUrls.length > 0 && !options.replicas) throw new Error('read replicas need a ReadReplicas to route reads');
  const Driver = options.replicas ? routedDriver(options.replicas) : PostgreSqlDriver;
  const orm = await MikroORM.init({
    driver: Driver,
    clientUrl: options.url,
    entities: [...options.entities, OutboxMessage, ProcessedMessage],
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    ensureDatabase: false,
    discovery: { warnWhenNoEntities: true },
    pool: { min: 0, max: options.poolSize ?? 10, idleTimeoutMillis: 30_000 },
    replicas: readUrls.map((clientUrl, i) => ({ name: replicaName(i), clientUrl })),
    // Only the reads that ask (read-replicas.ts) use a replica: the rest must see every commit at once.
    preferReadReplicas: false,
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
  if (options.replicas) {
    const driver = orm.em.getDriver() as InstanceType<ReturnType<typeof routedDriver>>;
    options.replicas.attach(
      driver.getConnection('write'),
      driver.readReplicas().map((connection, i) => ({ name: replicaName(i), connection })),
    );
  }
  return orm;
}

function replicaName(index: number): string {
  return `read-${index + 1}`;
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

export async function pingDatabase(orm: Orm): Promise<void> {
  await orm.em.fork().execute('select 1');
}
