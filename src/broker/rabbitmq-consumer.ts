// One consumer of a RabbitMQ queue: its own confirm channel, re-opened after a
// channel loss, and the byte-moving the delivery flow (delivery.ts) asks of
// it. A later try is a copy in the retry queue of that wait (`x-message-ttl`,
// dead-lettered back to the work queue: durable, and blocking nobody); a dead
// letter is a copy in `<queue>.dlq`; in both cases the original is acked only
// once the copy is confirmed. The try counts travel in headers (below).
import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { Logger } from '../logger.js';
import type { Delivery, Subscription } from './broker.js';
import type { DeliveryFlow, FailureRecord, MessageMover } from './delivery.js';
import { errorSummary, retryDelaysOf, type DeadLetterReason, type Failures } from './retry.js';
import { Exchange, retryQueueOf } from './topology.js';

/** The headers of a message that failed before (docs/events.md). */
export const RetryHeader = {
  TRANSIENT_FAILURES: 'x-transient-failures',
  PERMANENT_FAILURES: 'x-permanent-failures',
  LAST_ERROR: 'x-last-error',
  /** `transient` or `permanent`: the kind of the last failure. */
  LAST_FAILURE_KIND: 'x-last-failure-kind',
  /** On a dead letter: `poison` or `retry-budget-exhausted`. */
  DEAD_LETTER_REASON: 'x-dead-letter-reason',
  /** Written before the two counters: the next try's number, every failure counted as permanent. */
  LEGACY_ATTEMPT: 'x-attempt',
} as const;

/** Broker-written headers that describe a previous trip, dropped from our copies (with them, the copy could look like a dead-letter cycle). */
const BROKER_TRIP_HEADERS = /^x-(death|first-death-.*|last-death-.*|delivery-count)$/;
/** A header cannot make a try count absurd. */
const MAX_COUNT = 1_000_000;

/** Failed tries so far, from our headers; a quorum queue's `x-delivery-count` (unsettled deliveries) counts as permanent. */
export function failuresFromHeaders(headers: Record<string, unknown> | undefined): Failures {
  const count = (value: unknown) => {
    const n = Number(value);
    return Number.isSafeInteger(n) && n > 0 ? Math.min(n, MAX_COUNT) : 0;
  };
  const permanent =
    headers?.[RetryHeader.PERMANENT_FAILURES] !== undefined
      ? count(headers[RetryHeader.PERMANENT_FAILURES])
      : Math.max(0, count(headers?.[RetryHeader.LEGACY_ATTEMPT]) - 1);
  return {
    transient: count(headers?.[RetryHeader.TRANSIENT_FAILURES]),
    permanent: Math.min(MAX_COUNT, permanent + count(headers?.['x-delivery-count'])),
  };
}

/** The headers of the copy that carries a failure record on. */
export function headersAfterFailure(
  headers: Record<string, unknown> | undefined,
  record: FailureRecord,
  deadLetterReason?: DeadLetterReason,
): Record<string, unknown> {
  const kept = Object.fromEntries(
    Object.entries(headers ?? {}).filter(
      ([name]) => !BROKER_TRIP_HEADERS.test(name) && name !== RetryHeader.LEGACY_ATTEMPT,
    ),
  );
  return {
    ...kept,
    [RetryHeader.TRANSIENT_FAILURES]: record.failures.transient,
    [RetryHeader.PERMANENT_FAILURES]: record.failures.permanent,
    [RetryHeader.LAST_ERROR]: record.error,
    [RetryHeader.LAST_FAILURE_KIND]: record.kind,
    ...(deadLetterReason ? { [RetryHeader.DEAD_LETTER_REASON]: deadLetterReason } : {}),
  };
}

/** What the consumer needs of its broker. */
export interface ConsumerHost {
  /** The live connection, or null while reconnecting or closing. */
  currentConnection(): ChannelModel | null;
  /** Declares `<queue>.retry.<wait>` for each wait, idempotently. */
  declareRetryQueues(connection: ChannelModel, queue: string, delaysMs: number[]): Promise<void>;
  forget(consumer: RabbitConsumer): void;
}

/** How long a message whose settlement failed on a live channel waits before it is handed back (no hot loop). */
const GIVE_BACK_PAUSE_MS = 1000;

export class RabbitConsumer implements Subscription {
  private channel: ConfirmChannel | null = null;
  private consumerTag: string | null = null;
  /** The connection this consumer's retry queues were last declared on. */
  private declaredOn: ChannelModel | null = null;
  /** Copies the broker returned as unroutable on the current channel, by message id. */
  private returned = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private cancelled = false;
  private reopenTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: ConsumerHost,
    private readonly flow: DeliveryFlow,
    private readonly prefetch: number,
    private readonly logger: Logger,
  ) {}

  get queue(): string {
    return this.flow.queue;
  }

  async open(connection: ChannelModel): Promise<void> {
    if (this.cancelled) return;
    if (this.declaredOn !== connection) {
      await this.host.declareRetryQueues(connection, this.queue, retryDelaysOf(this.flow.policy));
      this.declaredOn = connection;
    }
    const channel = await connection.createConfirmChannel();
    const returned = new Set<string>();
    channel.on('return', (msg: ConsumeMessage) => returned.add(String(msg.properties.messageId ?? '')));
    channel.on('error', (err: Error) => this.logger.warn({ err: errorSummary(err) }, 'consumer channel error'));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = null;
      this.consumerTag = null;
      // Unacknowledged messages go back to the queue; take them again on a new channel.
      if (!this.cancelled) this.reopenSoon();
    });
    await channel.prefetch(this.prefetch);
    this.channel = channel;
    this.returned = returned;
    const { consumerTag } = await channel.consume(
      this.queue,
      (msg) => {
        if (!msg) {
          // The broker cancelled us (queue deleted or failed over): subscribe again.
          if (!this.cancelled) void channel.close().catch(() => undefined);
          return;
        }
        const work = this.handle(channel, msg).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      },
      { noAck: false },
    );
    this.consumerTag = consumerTag;
  }

  /** Re-opens the channel on the live connection; when the connection is down, the broker's reconnect does it. */
  reopenSoon(): void {
    if (this.cancelled || this.reopenTimer) return;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      const connection = this.host.currentConnection();
      if (!connection || this.channel) return;
      this.open(connection).catch((error: unknown) => {
        this.logger.warn({ err: errorSummary(error) }, 'could not re-open the consumer channel');
        this.reopenSoon();
      });
    }, 100);
    this.reopenTimer.unref();
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    const channel = this.channel;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    this.channel = null;
    await channel?.close().catch(() => undefined);
    this.host.forget(this);
  }

  async dropChannel(): Promise<void> {
    await this.channel?.close().catch(() => undefined);
  }

  private async handle(channel: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const headers = msg.properties.headers as Record<string, unknown> | undefined;
    const delivery: Omit<Delivery, 'attempt'> = {
      queue: this.queue,
      exchange: msg.fields.exchange,
      routingKey: msg.fields.routingKey,
      messageId: msg.properties.messageId as string | undefined,
      correlationId: msg.properties.correlationId as string | undefined,
      content: msg.content,
      redelivered: msg.fields.redelivered,
    };
    await this.flow.run({ delivery, failures: failuresFromHeaders(headers) }, this.mover(channel, msg, headers));
  }

  private mover(channel: ConfirmChannel, msg: ConsumeMessage, headers: Record<string, unknown> | undefined) {
    const returned = this.returned;
    const copyThenAck = async (exchange: string, routingKey: string, copyHeaders: Record<string, unknown>) => {
      await publishConfirmed(channel, returned, exchange, routingKey, msg, copyHeaders);
      channel.ack(msg);
    };
    const mover: MessageMover = {
      // amqplib throws on a closed channel: the flow then reports the message returned, which it is.
      ack: async () => channel.ack(msg),
      retryLater: (delayMs, record) =>
        copyThenAck('', retryQueueOf(this.queue, delayMs), headersAfterFailure(headers, record)),
      deadLetter: (reason, record) =>
        copyThenAck(Exchange.DEAD_LETTERS, this.queue, headersAfterFailure(headers, record, reason)),
      giveBack: async () => {
        await new Promise((resolve) => setTimeout(resolve, GIVE_BACK_PAUSE_MS));
        // A closed channel has given it back already.
        if (this.channel === channel) channel.nack(msg, false, true);
      },
    };
    return mover;
  }
}

/** Publishes a copy of `msg` and resolves once RabbitMQ confirmed it and routed it to a queue. */
function publishConfirmed(
  channel: ConfirmChannel,
  returned: Set<string>,
  exchange: string,
  routingKey: string,
  msg: ConsumeMessage,
  headers: Record<string, unknown>,
): Promise<void> {
  const id = String(msg.properties.messageId ?? '');
  const options: Options.Publish = {
    ...(msg.properties as Options.Publish),
    persistent: true,
    mandatory: true,
    headers,
  };
  return new Promise<void>((resolve, reject) => {
    channel.publish(exchange, routingKey, msg.content, options, (err: unknown) => {
      // RabbitMQ sends basic.return before the confirm of the same message.
      const wasReturned = returned.delete(id);
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else if (wasReturned) reject(new Error(`No queue took the copy sent to "${exchange}" / "${routingKey}"`));
      else resolve();
    });
  });
}
