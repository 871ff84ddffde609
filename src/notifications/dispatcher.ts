// A durable dispatcher: sends the pending deliveries of one channel (email or
// webhooks) with retries, recording every attempt. Several may run (one per
// consumers process); they share the work through leases:
//   claim: one statement takes due rows (FOR UPDATE SKIP LOCKED) and leases
//          them (`locked_until`), counting the try;
//   send:  outside any transaction, bounded by the channel's own timeouts;
//   record: one statement marks the row sent (or schedules the next try, or
//          gives it up) and writes the attempt.
// Leases are short (15 s) and renewed every third of that while the row is
// in hand (src/db/held-leases.ts), so a send may take as long as its channel
// allows; a dispatcher that dies mid-send stops renewing, and another sends
// the row within one lease (see "exactly once" in docs/events.md for the one
// window left).
// Deliveries run side by side up to `concurrency`, each on its own clock, so
// a recipient that is down delays only its own rows.
//
// Long on purpose: claim, send and record share one lease and one retry rule;
// split, the lease arithmetic would be stated in two places.
import { randomUUID } from 'node:crypto';
import type { Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { errorSummary } from '../broker/retry.js';
import { HeldLeases } from '../db/held-leases.js';
import { withCorrelationId } from '../observability/request-scope.js';
import type { DeliveryChannel, EmailPayload } from './delivery.entity.js';

/** /metrics counters by channel (`email`, `webhook`, `in_app`). */
export interface NotificationObserver {
  notificationSent(channel: string): void;
  notificationRetried(channel: string): void;
  notificationFailed(channel: string): void;
}

/** A leased delivery, as the claim statement returns it. */
export interface ClaimedDelivery {
  id: string;
  event_id: string;
  event_type: string;
  /** Tries so far, this one included. */
  attempts: number;
  correlation_id: string | null;
  payload: EmailPayload | null;
  body: string | null;
  endpoint_id: string | null;
  /** Webhooks: the endpoint's URL and secret, read in the claim. */
  url?: string;
  secret?: string;
}

export interface AttemptOutcome {
  ok: boolean;
  /** Retrying cannot help: give up now. */
  permanent: boolean;
  statusCode: number | null;
  error: string | null;
}

/** What differs between channels: which rows are due, how one is sent, what giving up also does. */
export interface DeliveryStrategy {
  channel: DeliveryChannel;
  /** The metrics label. */
  label: string;
  /** Waits before each retry; after the last, the delivery is given up. */
  retryScheduleMs: number[];
  claim(orm: Orm, limit: number, leaseMs: number): Promise<ClaimedDelivery[]>;
  send(delivery: ClaimedDelivery): Promise<AttemptOutcome>;
  /** A CTE run in the give-up statement; it can read the `given_up` CTE and gets `reason` as its one parameter. */
  giveUpEffect?: (delivery: ClaimedDelivery, outcome: AttemptOutcome) => { cte: string; reason: string };
}

export interface DispatcherOptions {
  concurrency?: number;
  /** How long a claim keeps other dispatchers off a row unless renewed (every third of it, while in hand). */
  leaseMs?: number;
  /** Longest idle wait between looks for due rows (written by other processes, or due retries). */
  pollIntervalMs?: number;
}

export class DeliveryDispatcher {
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly leases: HeldLeases;
  private readonly pollIntervalMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private running: Promise<void> | null = null;
  private stopping = false;
  private woken = false;
  private wakeUp: (() => void) | null = null;

  constructor(
    private readonly orm: Orm,
    private readonly strategy: DeliveryStrategy,
    private readonly logger: Logger,
    private readonly observer?: NotificationObserver,
    options: DispatcherOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 8;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.leases = new HeldLeases(
      this.leaseMs,
      (ids, leaseMs) =>
        orm.em.fork().execute(
          // A recorded row has no lease (or is no longer pending): a renewal racing the record leaves it alone.
          `update notification_deliveries set locked_until = now() + (? * interval '1 millisecond')
           where status = 'pending' and locked_until is not null and id in (${ids.map(() => '?').join(', ')})`,
          [leaseMs, ...ids],
        ),
      (error, rows) => logger.debug({ err: errorSummary(error), rows }, 'could not renew delivery leases'),
    );
  }

  start(): void {
    this.stopping = false;
    this.running ??= this.loop();
  }

  /** New rows were committed, or a slot came free: look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming and waits for the deliveries in hand, so nothing stays leased. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    this.running = null;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const free = this.concurrency - this.inFlight.size;
      let claimed: ClaimedDelivery[] = [];
      if (free > 0) {
        try {
          claimed = await this.strategy.claim(this.orm, free, this.leaseMs);
          failures = 0;
        } catch (error) {
          failures++;
          this.logger.warn({ err: errorSummary(error) }, 'could not claim deliveries; will retry');
        }
      }
      this.leases.hold(claimed.map((delivery) => delivery.id));
      for (const delivery of claimed) {
        const work: Promise<void> = this.deliver(delivery).finally(() => {
          this.leases.letGo(delivery.id);
          this.inFlight.delete(work);
          this.wake();
        });
        this.inFlight.add(work);
      }
      if (this.stopping) break;
      if (claimed.length > 0 && claimed.length === free) continue;
      const wait = failures > 0 ? Math.min(5000, 250 * 2 ** (failures - 1)) : await this.untilNextDue();
      await this.idle(wait);
    }
    await Promise.allSettled([...this.inFlight]);
    this.leases.stop();
  }

  /** How long until the next scheduled retry of this channel, at most the poll interval. */
  private async untilNextDue(): Promise<number> {
    try {
      const [row] = await this.orm.em.fork().execute<{ wait_ms: string | null }[]>(
        `select extract(epoch from min(next_attempt_at) - now()) * 1000 as wait_ms from notification_deliveries
         where channel = ? and status = 'pending' and next_attempt_at > now()`,
        [this.strategy.channel],
      );
      const wait = row?.wait_ms == null ? this.pollIntervalMs : Math.ceil(Number(row.wait_ms));
      return Math.max(10, Math.min(this.pollIntervalMs, wait));
    } catch {
      return this.pollIntervalMs;
    }
  }

  private idle(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wakeUp = finish;
    });
  }

  /** Under the correlation id of the request that caused the event: every log line of the delivery carries it. */
  private deliver(delivery: ClaimedDelivery): Promise<void> {
    return withCorrelationId(delivery.correlation_id ?? delivery.event_id, () => this.deliverInScope(delivery));
  }

  private async deliverInScope(delivery: ClaimedDelivery): Promise<void> {
    const started = Date.now();
    const attemptedAt = new Date(started);
    let outcome: AttemptOutcome;
    try {
      outcome = await this.strategy.send(delivery);
    } catch (error) {
      outcome = { ok: false, permanent: false, statusCode: null, error: errorSummary(error) };
    }
    const attempt = { id: randomUUID(), attemptedAt, durationMs: Date.now() - started };
    const log = {
      deliveryId: delivery.id,
      eventId: delivery.event_id,
      channel: this.strategy.label,
      attempt: delivery.attempts,
      statusCode: outcome.statusCode,
    };
    try {
      if (outcome.ok) {
        await this.recordSent(delivery, outcome, attempt);
        this.observer?.notificationSent(this.strategy.label);
        this.logger.debug(log, 'notification delivered');
      } else if (outcome.permanent || delivery.attempts > this.strategy.retryScheduleMs.length) {
        await this.recordGivenUp(delivery, outcome, attempt);
        this.observer?.notificationFailed(this.strategy.label);
        this.logger.error({ ...log, err: outcome.error }, 'notification given up after its last try');
      } else {
        const delayMs = this.strategy.retryScheduleMs[delivery.attempts - 1] ?? 0;
        await this.recordRetry(delivery, outcome, attempt, delayMs);
        this.observer?.notificationRetried(this.strategy.label);
        this.logger.warn({ ...log, err: outcome.error, retryInMs: delayMs }, 'notification failed; will retry');
      }
    } catch (error) {
      // Not written down (a success's record is retried while its lease lasts): once the lease runs out the
      // row is tried again, after a success a second copy (see docs/events.md).
      this.logger.error({ ...log, err: errorSummary(error) }, 'could not record a delivery attempt');
    }
  }

  /** One statement: between the recipient's acceptance and this commit is the only window for a duplicate. */
  private async recordSent(delivery: ClaimedDelivery, outcome: AttemptOutcome, attempt: AttemptRecord) {
    await this.withRetries(() =>
      this.orm.em.fork().execute(
        `with done as (
           update notification_deliveries set status = 'sent', sent_at = now(), locked_until = null, last_error = null
           where id = ? returning id, attempts
         )
         insert into notification_delivery_attempts
           (id, delivery_id, attempt, status_code, error, succeeded, attempted_at, duration_ms)
         select ?, id, attempts, ?, null, true, ?, ? from done`,
        [delivery.id, attempt.id, outcome.statusCode, attempt.attemptedAt, attempt.durationMs],
      ),
    );
  }

  private async recordRetry(
    delivery: ClaimedDelivery,
    outcome: AttemptOutcome,
    attempt: AttemptRecord,
    delayMs: number,
  ) {
    await this.orm.em.fork().execute(
      `with retry as (
         update notification_deliveries
         set locked_until = null, last_error = ?, next_attempt_at = now() + (? * interval '1 millisecond')
         where id = ? and status = 'pending' returning id, attempts
       )
       insert into notification_delivery_attempts
         (id, delivery_id, attempt, status_code, error, succeeded, attempted_at, duration_ms)
       select ?, id, attempts, ?, ?, false, ?, ? from retry`,
      [
        outcome.error,
        delayMs,
        delivery.id,
        attempt.id,
        outcome.statusCode,
        outcome.error,
        attempt.attemptedAt,
        attempt.durationMs,
      ],
    );
  }

  /** Kept as `failed` (replayable: docs/events.md), never deleted; the channel may add an effect (disable the endpoint). */
  private async recordGivenUp(delivery: ClaimedDelivery, outcome: AttemptOutcome, attempt: AttemptRecord) {
    const effect = this.strategy.giveUpEffect?.(delivery, outcome);
    await this.orm.em.fork().execute(
      `with given_up as (
         update notification_deliveries
         set status = 'failed', failed_at = now(), locked_until = null, last_error = ?
         where id = ? and status = 'pending' returning id, attempts, endpoint_id
       ), attempt as (
         insert into notification_delivery_attempts
           (id, delivery_id, attempt, status_code, error, succeeded, attempted_at, duration_ms)
         select ?, id, attempts, ?, ?, false, ?, ? from given_up
       )${effect ? `, effect as (${effect.cte})` : ''}
       select count(*) from given_up`,
      [
        outcome.error,
        delivery.id,
        attempt.id,
        outcome.statusCode,
        outcome.error,
        attempt.attemptedAt,
        attempt.durationMs,
        ...(effect ? [effect.reason] : []),
      ],
    );
  }

  /** Tries again while the row's lease is renewed: a database blip shorter than a lease sends nothing twice. */
  private async withRetries<T>(work: () => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + this.leaseMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const wait = Math.min(2000, 200 * attempt);
        if (this.stopping || Date.now() + wait > giveUpAt) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }
}

interface AttemptRecord {
  id: string;
  attemptedAt: Date;
  durationMs: number;
}
