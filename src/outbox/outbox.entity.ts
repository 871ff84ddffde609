import { OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { EventEnvelope } from './envelope.js';

/**
 * An event waiting to be published, written in the same transaction as the
 * change it describes. Its id is the message id on the wire. `seq` (an
 * identity column in the migration) keeps the publishing order.
 */
@Entity({ tableName: 'outbox' })
export class OutboxMessage {
  [OptionalProps]?: 'createdAt' | 'sentAt' | 'attempts' | 'correlationId' | 'lockedUntil' | 'lockedBy' | 'lastError';

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** The order the event is about; events of one aggregate go out in order. */
  @Property({ type: 'uuid', index: true })
  aggregateId!: string;

  /** The routing key, e.g. `order.created`. */
  @Property({ type: 'string', length: 64 })
  type!: string;

  @Property({ type: 'json' })
  envelope!: EventEnvelope;

  @Property({ type: 'string', length: 100, nullable: true })
  correlationId: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz(3)', nullable: true })
  sentAt: Date | null = null;

  /** Times a relay claimed the row. */
  @Property({ type: 'integer' })
  attempts: number = 0;

  /** A relay's lease: until then no other relay claims the row (see relay.ts). */
  @Property({ type: 'Date', columnType: 'timestamptz(3)', nullable: true })
  lockedUntil: Date | null = null;

  /** The relay holding the lease. */
  @Property({ type: 'uuid', nullable: true })
  lockedBy: string | null = null;

  /** Why the last publish failed, for an operator looking at pending rows. */
  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;
}

/** The inbox: a message id a consumer has applied, so a redelivery changes nothing twice. */
@Entity({ tableName: 'processed_messages' })
export class ProcessedMessage {
  @PrimaryKey({ type: 'string', length: 100 })
  consumer!: string;

  @PrimaryKey({ type: 'string', length: 100 })
  messageId!: string;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  processedAt: Date = new Date();
}
