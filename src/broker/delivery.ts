// One delivery flow for both brokers: runs the consumer's handler under the
// message's correlation id, classifies a failure (failure.ts), counts tries
// and picks ack, a later try or the dead-letter queue (retry.ts), then reports
// what happened to the log and the consumer's observer (metrics). A broker
// only moves the bytes: it implements MessageMover for each message.
import { UnreachableCaseError } from '../errors.js';
import type { Logger } from '../logger.js';
import { withCorrelationId } from '../observability/request-scope.js';
import type { Delivery, DeliveryObserver, DeliveryOutcome, MessageHandler } from './broker.js';
import { classifyFailure, type FailureKind } from './failure.js';
import {
  afterFailure,
  checkRetryPolicy,
  DEFAULT_RETRY_POLICY,
  errorSummary,
  type DeadLetterReason,
  type Failures,
  type RetryPolicy,
} from './retry.js';
import { deadLetterQueueOf } from './topology.js';

/** A message as a broker hands it over. */
export interface ReceivedMessage {
  delivery: Omit<Delivery, 'attempt'>;
  /**
   * Failed tries so far. A delivery the broker took back unsettled (a lost
   * channel or a killed consumer: quorum queues count them) counts as a
   * permanent failure, as the old single bound did: a message that keeps
   * its consumers from answering is suspect.
   */
  failures: Failures;
}

/** What a failed message carries to its next try or into the DLQ. */
export interface FailureRecord {
  kind: FailureKind;
  /** Failures so far, this one included. */
  failures: Failures;
  error: string;
}

/** The byte-moving a broker does for one message. Each resolves once the move is safe (confirmed). */
export interface MessageMover {
  ack(): Promise<void>;
  /** Delivers the message again after `delayMs`, carrying `record`, and settles this copy. */
  retryLater(delayMs: number, record: FailureRecord): Promise<void>;
  /** Puts the message in `<queue>.dlq` with `reason` and `record`, and settles this copy. */
  deadLetter(reason: DeadLetterReason, record: FailureRecord): Promise<void>;
  /** A move failed but the message is still held: hand it back to the queue (best effort). */
  giveBack(): Promise<void>;
}

export interface DeliveryFlowOptions {
  retry?: RetryPolicy | undefined;
  observer?: DeliveryObserver | undefined;
  logger: Logger;
}

export class DeliveryFlow {
  readonly policy: RetryPolicy;
  private readonly observer: DeliveryObserver | undefined;
  private readonly logger: Logger;

  constructor(
    readonly queue: string,
    private readonly handler: MessageHandler,
    options: DeliveryFlowOptions,
  ) {
    this.policy = checkRetryPolicy(options.retry ?? DEFAULT_RETRY_POLICY);
    this.observer = options.observer;
    this.logger = options.logger;
  }

  async run(message: ReceivedMessage, mover: MessageMover): Promise<DeliveryOutcome> {
    const { failures } = message;
    const attempt = failures.transient + failures.permanent + 1;
    const delivery: Delivery = { ...message.delivery, attempt };
    const messageId = delivery.messageId;
    const correlationId = delivery.correlationId ?? messageId;
    const inScope = <T>(work: () => T): T => (correlationId ? withCorrelationId(correlationId, work) : work());
    let outcome: DeliveryOutcome;
    let move: () => Promise<void>;
    try {
      await inScope(() => this.handler(delivery));
      outcome = { kind: 'acked', messageId, attempt };
      move = () => mover.ack();
    } catch (error) {
      const kind = classifyFailure(error);
      const record: FailureRecord = {
        kind,
        error: errorSummary(error),
        failures: {
          transient: failures.transient + (kind === 'transient' ? 1 : 0),
          permanent: failures.permanent + (kind === 'permanent' ? 1 : 0),
        },
      };
      const step = afterFailure(kind, record.failures, this.policy);
      if (step.kind === 'retry') {
        outcome = {
          kind: 'retry-scheduled',
          messageId,
          failure: kind,
          delayMs: step.delayMs,
          nextAttempt: attempt + 1,
          error: record.error,
        };
        move = () => mover.retryLater(step.delayMs, record);
      } else {
        outcome = {
          kind: 'dead-lettered',
          messageId,
          failure: kind,
          reason: step.reason,
          attempts: attempt,
          error: record.error,
        };
        move = () => mover.deadLetter(step.reason, record);
      }
    }
    try {
      await move();
    } catch (error) {
      outcome = { kind: 'returned', messageId, why: errorSummary(error) };
      await mover.giveBack().catch(() => undefined);
    }
    const finished = outcome;
    inScope(() => this.report(finished, attempt));
    return outcome;
  }

  private report(outcome: DeliveryOutcome, attempt: number): void {
    this.observer?.deliveryFinished(this.queue, outcome);
    const { messageId } = outcome;
    switch (outcome.kind) {
      case 'acked':
        return;
      case 'retry-scheduled':
        this.logger.warn(
          { messageId, attempt, kind: outcome.failure, delayMs: outcome.delayMs, err: outcome.error },
          `message failed (${outcome.failure}); next try in ${outcome.delayMs} ms`,
        );
        return;
      case 'dead-lettered':
        this.logger.error(
          { messageId, attempt, kind: outcome.failure, reason: outcome.reason, err: outcome.error },
          `message dead-lettered to ${deadLetterQueueOf(this.queue)} after ${outcome.attempts} tries (${outcome.reason})`,
        );
        return;
      case 'returned':
        this.logger.warn({ messageId, attempt, why: outcome.why }, 'message not settled; the broker gives it back');
        return;
      default:
        throw new UnreachableCaseError(outcome);
    }
  }
}

/** Adding an outcome must not compile until every switch over outcomes knows it. */
