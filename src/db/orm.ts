// Builds the ORM for a database URL: the same entities, driver and migrations
// whether the URL points at PostgreSQL or at the embedded PGlite server.
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import type { Logger } from '../logger.js';
import { migrations } from '../../migrations/index.js';
import { User } from '../auth/user.entity.js';
import { RefreshToken } from '../auth/refresh-token.entity.js';
import { Product } from '../catalog/product.entity.js';
import { Order, OrderItem } from '../orders/order.entity.js';
import { OrderHistory } from '../orders/order-history.entity.js';
import { OutboxMessage, ProcessedMessage } from '../outbox/outbox.entity.js';
import { DeliveryAttempt, NotificationDelivery } from '../notifications/delivery.entity.js';
import { Notification, NotificationPreference } from '../notifications/notification.entity.js';
import { WebhookEndpoint } from '../notifications/webhook-endpoint.entity.js';

export const ENTITIES = [
  User,
  RefreshToken,
  Product,
  Order,
  OrderItem,
  OrderHistory,
  OutboxMessage,
  ProcessedMessage,
  Notification,
  NotificationPreference,
  WebhookEndpoint,
  NotificationDelivery,
  DeliveryAttempt,
];

export type Orm = MikroORM;

export interface OrmOptions {
  url: string;
  readUrls?: string[];
  poolSize?: number;
  logger?: Logger;
}

export async function createOrm(options: OrmOptions): Promise<Orm> {
  const log = options.logger?.child({ component: 'orm' });
  return MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: options.url,
    entities: ENTITIES,
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
