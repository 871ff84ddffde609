// RabbitMQ behind the Broker interface: one connection, a confirm channel for
// publishing, one confirm channel per consumer (rabbitmq-consumer.ts).
// Connection or channel loss is recovered by our own loop with backoff, which
// re-declares the topology and re-subscribes every consumer; while it is
// down, publish() fails fast so the outbox keeps the messages.
import amqp, { type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options } from 'amqplib';
import type { Logger } from '../logger.js';
import {
  BrokerUnavailableError,
  encodeBody,
  UnroutableMessageError,
  type Broker,
  type ConsumeOptions,
  type MessageHandler,
  type OutgoingMessage,
  type Subscription,
} from './broker.js';
import { DeliveryFlow } from './delivery.js';
import { RabbitConsumer, type ConsumerHost } from './rabbitmq-consumer.js';
import { errorSummary } from './retry.js';
import { RabbitDeclarations } from './rabbitmq-declarations.js';
import type { Topology } from './topology.js';

export interface RabbitMqOptions {
  /** Longest wait between reconnect tries. */
  maxReconnectDelayMs?: number;
  /** How long a publish may wait for its confirm before it counts as failed. */
  confirmTimeoutMs?: number;
  /** Shown in the management console. */
  connectionName?: string;
}

export class RabbitMqBroker implements Broker, ConsumerHost {
  readonly kind = 'rabbitmq' as const;
  private connection: ChannelModel | null = null;
  private publisher: ConfirmChannel | null = null;
  /** Message ids the broker returned as unroutable on the current publisher channel. */
  private returned = new Set<string>();
  private topology: Topology = { exchanges: [], queues: [] };
  private readonly declarations: RabbitDeclarations;
  private readonly consumers = new Set<RabbitConsumer>();
  private connecting: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  private closing = false;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly options: RabbitMqOptions = {},
  ) {
    this.declarations = new RabbitDeclarations(logger);
  }

  async start(topology: Topology): Promise<void> {
    this.topology = topology;
    try {
      await this.connect();
    } catch (error) {
      // The API must come up with the broker down: the outbox holds the events until it returns.
      this.logger.warn({ err: errorSummary(error) }, 'RabbitMQ is not reachable; retrying in the background');
      this.scheduleReconnect();
    }
  }

  isConnected(): boolean {
    return this.publisher !== null;
  }

  async publish(message: OutgoingMessage): Promise<void> {
    const channel = this.publisher;
    if (!channel) throw new BrokerUnavailableError();
    const content = encodeBody(message.body);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new BrokerUnavailableError('RabbitMQ did not confirm the message in time')),
        this.options.confirmTimeoutMs ?? 10_000,
      );
      const options: Options.Publish = {
        persistent: true,
        mandatory: true,
        contentType: 'application/json',
        messageId: message.messageId,
        type: message.type,
        timestamp: Math.floor(Date.now() / 1000),
        ...(message.correlationId ? { correlationId: message.correlationId } : {}),
        headers: message.correlationId ? { 'x-correlation-id': message.correlationId } : {},
      };
      try {
        channel.publish(message.exchange, message.routingKey, content, options, (err: unknown) => {
          clearTimeout(timer);
          // RabbitMQ sends basic.return before the confirm of the same message.
          const wasReturned = this.returned.delete(message.messageId);
          if (err) reject(new BrokerUnavailableError(`RabbitMQ did not confirm the message: ${errorSummary(err)}`));
          else if (wasReturned) reject(new UnroutableMessageError(message.exchange, message.routingKey));
          else resolve();
        });
      } catch (error) {
        clearTimeout(timer);
        reject(new BrokerUnavailableError(`RabbitMQ refused the publish: ${errorSummary(error)}`));
      }
    });
  }

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription> {
    const logger = this.logger.child({ queue });
    const flow = new DeliveryFlow(queue, handler, { retry: options.retry, observer: options.observer, logger });
    const consumer = new RabbitConsumer(this, flow, options.prefetch, logger);
    this.consumers.add(consumer);
    if (this.connection) await consumer.open(this.connection).catch(() => consumer.reopenSoon());
    return consumer;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await Promise.all([...this.consumers].map((c) => c.cancel()));
    const connection = this.connection;
    this.connection = null;
    this.publisher = null;
    await connection?.close().catch(() => undefined);
  }

  /** @internal The live connection, for a consumer re-opening its channel. */
  currentConnection(): ChannelModel | null {
    return this.closing ? null : this.connection;
  }

  /** @internal */
  forget(consumer: RabbitConsumer): void {
    this.consumers.delete(consumer);
  }

  private connect(): Promise<void> {
    this.connecting ??= this.openConnection().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async openConnection(): Promise<void> {
    const connection = await amqp.connect(withHeartbeat(this.url), {
      clientProperties: { connection_name: this.options.connectionName ?? 'order-service' },
    });
    connection.on('error', (err: Error) => this.logger.warn({ err: errorSummary(err) }, 'RabbitMQ connection error'));
    connection.on('close', () => this.onConnectionLost(connection));
    if (this.closing) {
      // close() ran while we were connecting: do not leave this connection behind.
      await connection.close().catch(() => undefined);
      return;
    }
    try {
      await this.declarations.declare(connection, this.topology);
      const publisher = await this.openPublisher(connection);
      this.connection = connection;
      this.publisher = publisher;
      for (const consumer of this.consumers) await consumer.open(connection);
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
    this.reconnectAttempt = 0;
    this.logger.info('connected to RabbitMQ');
  }

  private async openPublisher(connection: ChannelModel): Promise<ConfirmChannel> {
    const channel = await connection.createConfirmChannel();
    this.returned = new Set();
    const returned = this.returned;
    channel.on('return', (msg: ConsumeMessage) => {
      const id = msg.properties.messageId as string | undefined;
      if (id) returned.add(id);
    });
    channel.on('error', (err: Error) => this.logger.warn({ err: errorSummary(err) }, 'publisher channel error'));
    channel.on('close', () => {
      if (this.publisher !== channel) return;
      this.publisher = null;
      // The connection may still be fine (a channel-level error): open a new publisher on it.
      if (this.connection === connection && !this.closing) {
        this.openPublisher(connection).then(
          (next) => {
            if (this.connection === connection) this.publisher = next;
          },
          () => undefined, // the connection is going too; its close handler reconnects
        );
      }
    });
    return channel;
  }

  private onConnectionLost(connection: ChannelModel): void {
    if (this.connection !== connection) return;
    this.connection = null;
    this.publisher = null;
    if (this.closing) return;
    this.logger.warn('lost the RabbitMQ connection; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer) return;
    const delay = Math.min(this.options.maxReconnectDelayMs ?? 5000, 200 * 2 ** this.reconnectAttempt);
    this.reconnectAttempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().catch((error: unknown) => {
        this.logger.debug({ err: errorSummary(error), attempt: this.reconnectAttempt }, 'RabbitMQ still unreachable');
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  /** @internal */
  declareRetryQueues(connection: ChannelModel, queue: string, delaysMs: number[]): Promise<void> {
    return this.declarations.declareRetryQueues(connection, queue, delaysMs);
  }
}

/**
 * Heartbeats bound how long the broker keeps a dead consumer's messages: a
 * killed process's socket closes at once and its unacked messages return at
 * once; a peer that vanished without closing (host down, partition) is given
 * up after about two missed heartbeats, i.e. 10-20 s with 10 s.
 */
function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', '10');
  return parsed.toString();
}
