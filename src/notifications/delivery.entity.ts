import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { EmailContent } from './messages.js';

export const DeliveryChannel = { EMAIL: 'EMAIL', WEBHOOK: 'WEBHOOK' } as const;
export type DeliveryChannel = (typeof DeliveryChannel)[keyof typeof DeliveryChannel];

export const DeliveryStatus = { PENDING: 'pending', SENT: 'sent', FAILED: 'failed' } as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/** What an email delivery sends: rendered when the event arrived, so every retry sends the same message. */
export interface EmailPayload extends EmailContent {
  to: string;
}

/**
 * One message to send on one channel (an email to a customer, a webhook to
 * an endpoint) about one event; unique per (event, channel, recipient or
 * endpoint). Written by the consumer in the transaction that records the
 * event in the inbox, sent by a dispatcher (dispatcher.ts).
 */
@Entity({ tableName: 'notification_deliveries' })
export class NotificationDelivery {
  [OptionalProps]?:
    | 'status'
    | 'attempts'
    | 'nextAttemptAt'
    | 'lockedUntil'
    | 'lastError'
    | 'createdAt'
    | 'sentAt'
    | 'failedAt'
    | 'userId'
    | 'endpointId'
    | 'payload'
    | 'body'
    | 'correlationId';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'string', length: 64 })
  eventType!: string;

  @Property({ type: 'uuid' })
  orderId!: string;

  @Property({ type: 'string', length: 16 })
  channel!: DeliveryChannel;

  /** The customer an email goes to. */
  @Property({ type: 'uuid', nullable: true })
  userId: string | null = null;

  /** The endpoint a webhook goes to. */
  @Property({ type: 'uuid', nullable: true })
  endpointId: string | null = null;

  @Property({ type: 'json', nullable: true })
  payload: EmailPayload | null = null;

  /** A webhook's body: the event's envelope exactly as it arrived from the broker. */
  @Property({ type: 'text', nullable: true })
  body: string | null = null;

  @Property({ type: 'string', length: 16 })
  status: DeliveryStatus = DeliveryStatus.PENDING;

  /** Tries claimed so far. */
  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  nextAttemptAt: Date = new Date();

  /** A dispatcher's lease: until then no other dispatcher claims the row. */
  @Property({ type: 'Date', columnType: 'timestamptz(3)', nullable: true })
  lockedUntil: Date | null = null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  correlationId: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz(3)', nullable: true })
  sentAt: Date | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz(3)', nullable: true })
  failedAt: Date | null = null;
}

/** One try at a delivery, successful or not (webhookDeliveries lists these). */
@Entity({ tableName: 'notification_delivery_attempts' })
export class DeliveryAttempt {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  deliveryId!: string;

  @Property({ type: 'integer' })
  attempt!: number;

  @Property({ type: 'integer', nullable: true })
  statusCode: number | null = null;

  @Property({ type: 'text', nullable: true })
  error: string | null = null;

  @Property({ type: 'boolean' })
  succeeded!: boolean;

  @Property({ type: 'Date', columnType: 'timestamptz(3)' })
  attemptedAt!: Date;

  @Property({ type: 'integer' })
  durationMs!: number;
}
