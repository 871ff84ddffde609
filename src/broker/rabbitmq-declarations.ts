// Declaring the topology on RabbitMQ, idempotently, at every (re)connect:
// exchanges, work queues with their dead-letter queues, and each consumer's
// retry queues. A queue's type (quorum where the broker has them) is decided
// at its first declaration and never changed.
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '../logger.js';
import { errorSummary } from './retry.js';
import { deadLetterQueueOf, Exchange, retryQueueOf, type QueueSpec, type Topology } from './topology.js';

type QueueType = 'quorum' | 'classic';

export class RabbitDeclarations {
  /** Decided once per queue at the first declaration, so an existing queue's type is never changed. */
  private readonly queueTypes = new Map<string, QueueType>();

  constructor(private readonly logger: Logger) {}

  /** Exchanges and queues, idempotently. A failed declaration closes its channel, so each try gets a fresh one. */
  async declare(connection: ChannelModel, topology: Topology): Promise<void> {
    await onFreshChannel(connection, async (channel) => {
      for (const exchange of topology.exchanges) await channel.assertExchange(exchange, 'topic', { durable: true });
    });
    for (const queue of topology.queues) await this.declareQueue(connection, queue);
  }

  private async declareQueue(connection: ChannelModel, spec: QueueSpec): Promise<void> {
    const deadLetters = deadLetterQueueOf(spec.name);
    const known = this.queueTypes.get(spec.name);
    const candidates: QueueType[] = known ? [known] : ['quorum', 'classic'];
    let lastError: unknown;
    for (const type of candidates) {
      try {
        await onFreshChannel(connection, async (channel) => {
          await channel.assertQueue(spec.name, {
            durable: true,
            arguments: {
              ...queueTypeArgument(type),
              'x-dead-letter-exchange': Exchange.DEAD_LETTERS,
              'x-dead-letter-routing-key': spec.name,
            },
          });
          await channel.assertQueue(deadLetters, { durable: true, arguments: queueTypeArgument(type) });
          await channel.bindQueue(deadLetters, Exchange.DEAD_LETTERS, spec.name);
          for (const binding of spec.bindings) await channel.bindQueue(spec.name, binding.exchange, binding.routingKey);
        });
        if (!known) this.logger.info({ queue: spec.name, type }, 'queue declared');
        this.queueTypes.set(spec.name, type);
        return;
      } catch (error) {
        lastError = error;
        // 406: the queue exists with other arguments (e.g. classic); or this broker has no quorum queues.
        if (!known) this.logger.debug({ queue: spec.name, type, err: errorSummary(error) }, 'queue type refused');
      }
    }
    throw new Error(`Could not declare queue ${spec.name}: ${errorSummary(lastError)}`);
  }

  /**
   * The retry queues of a consumer's policy: `<queue>.retry.<wait>`
   * with that `x-message-ttl`, dead-lettering expired messages through the
   * default exchange back to `queue`. Of the work queue's type where the
   * broker allows it (quorum queues take a TTL from RabbitMQ 3.10, and then
   * dead-letter at least once), else classic: either way durable.
   */
  async declareRetryQueues(connection: ChannelModel, queue: string, delaysMs: number[]): Promise<void> {
    const preferred = this.queueTypes.get(queue) ?? 'quorum';
    const candidates: QueueType[] = preferred === 'quorum' ? ['quorum', 'classic'] : ['classic', 'quorum'];
    for (const delayMs of delaysMs) {
      const name = retryQueueOf(queue, delayMs);
      let lastError: unknown;
      let declared = false;
      for (const type of candidates) {
        try {
          await onFreshChannel(connection, (channel) =>
            channel.assertQueue(name, { durable: true, arguments: retryQueueArguments(type, queue, delayMs) }),
          );
          declared = true;
          break;
        } catch (error) {
          lastError = error;
        }
      }
      if (!declared) throw new Error(`Could not declare retry queue ${name}: ${errorSummary(lastError)}`);
    }
  }
}

/** A declaration that fails closes its channel: each one gets a fresh channel, closed afterwards. */
async function onFreshChannel(connection: ChannelModel, work: (channel: Channel) => Promise<unknown>): Promise<void> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined); // a refused declaration is reported through the rejected promise
  try {
    await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

function queueTypeArgument(type: QueueType): Record<string, string> {
  // Classic queues are declared without the argument so queues made before this code still match.
  return type === 'quorum' ? { 'x-queue-type': 'quorum' } : {};
}

function retryQueueArguments(type: QueueType, queue: string, delayMs: number): Record<string, unknown> {
  return {
    ...queueTypeArgument(type),
    'x-message-ttl': delayMs,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queue,
    // Quorum queues can hand an expired message on at least once (never lost on the way); that needs reject-publish.
    ...(type === 'quorum' ? { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } : {}),
  };
}
