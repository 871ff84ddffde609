// The outbox relay: publishes committed outbox rows to the `orders` exchange
// and marks them sent only after the broker confirmed them.
//
// Each round is three short steps, none holding a transaction while the
// broker is awaited (on PGlite an open transaction blocks every other
// connection):
//   1. claim: one statement leases a batch (`locked_until`), taking rows with
//      FOR UPDATE SKIP LOCKED so concurrent relays never claim the same row,
//      and only a row with no earlier unsent row of the same order, so the
//      events of one order go out one after another, in order;
//   2. publish each claimed row (confirm, mandatory, persistent);
//   3. mark the confirmed rows sent; release the others for a later round.
// A relay that dies mid-round leaves leases that expire; its rows go out
// again (at-least-once: consumers dedupe on the message id).
import { randomUUID } from 'node:crypto';
import type { Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { BrokerUnavailableError, type Broker } from '../broker/broker.js';
import { errorSummary } from '../broker/retry.js';
import { Exchange } from '../broker/topology.js';
import type { EventEnvelope } from './envelope.js';

export interface RelayOptions {
  /** Rows claimed per round. */
  batchSize?: number;
  /** Wait between rounds when there was nothing to send (a wake() cuts it short). */
  pollIntervalMs?: number;
  /** How long a claim keeps other relays off a row; longer than any publish may take. */
  leaseMs?: number;
  /** Longest wait between rounds while the broker is failing. */
  maxBackoffMs?: number;
}

interface ClaimedRow {
  id: string;
  seq: string;
  aggregate_id: string;
  type: string;
  envelope: EventEnvelope;
  correlation_id: string | null;
}

export interface RelayRound {
  claimed: number;
  published: number;
  failed: number;
}

export class OutboxRelay {
  /** Told about every row this relay published (after the confirm), for metrics and the tests. */
  onPublished: ((row: { id: string; aggregateId: string; type: string }) => void) | undefined;
  private readonly relayId = randomUUID();
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly maxBackoffMs: number;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private failures = 0;

  constructor(
    private readonly orm: Orm,
    private readonly broker: Broker,
    private readonly logger: Logger,
    options: RelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
  }

  start(): void {
    this.stopping = false;
    this.running ??= this.loop();
  }

  /** New rows were committed: run a round now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Finishes the round in progress (so nothing is left claimed) and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    this.running = null;
  }

  /** One round: claim, publish, mark. */
  async relayOnce(): Promise<RelayRound> {
    const rows = await this.claim();
    if (rows.length === 0) return { claimed: 0, published: 0, failed: 0 };
    const results = await Promise.all(
      rows.map((row) =>
        this.broker
          .publish({
            exchange: Exchange.ORDERS,
            routingKey: row.type,
            messageId: row.id,
            type: row.type,
            body: row.envelope,
            correlationId: row.correlation_id,
          })
          .then(
            () => ({ row, error: null }),
            (error: unknown) => ({ row, error }),
          ),
      ),
    );
    const sent = results.filter((r) => r.error === null).map((r) => r.row);
    const failed = results.filter((r) => r.error !== null);
    const em = this.orm.em.fork();
    if (sent.length > 0) {
      await em.execute(
        `update outbox set sent_at = now(), locked_until = null, last_error = null where id in (${sent.map(() => '?').join(', ')})`,
        sent.map((r) => r.id),
      );
      for (const row of sent) this.onPublished?.({ id: row.id, aggregateId: row.aggregate_id, type: row.type });
    }
    for (const { row, error } of failed) {
      // Released at once: the loop's backoff, not the lease, paces the next try.
      await em.execute(`update outbox set locked_until = null, last_error = ? where id = ?`, [
        errorSummary(error),
        row.id,
      ]);
    }
    if (failed.length > 0) {
      const first = failed[0]?.error;
      const log = { failed: failed.length, published: sent.length, err: errorSummary(first) };
      if (first instanceof BrokerUnavailableError)
        this.logger.warn(log, 'outbox relay: broker unavailable; will retry');
      else this.logger.error(log, 'outbox relay: publish failed; will retry');
    }
    return { claimed: rows.length, published: sent.length, failed: failed.length };
  }

  private async claim(): Promise<ClaimedRow[]> {
    return this.orm.em.fork().execute<ClaimedRow[]>(
      `update outbox set locked_until = now() + (? * interval '1 millisecond'), attempts = attempts + 1
       where id in (
         select o.id from outbox o
         where o.sent_at is null
           and (o.locked_until is null or o.locked_until < now())
           and not exists (
             select 1 from outbox earlier
             where earlier.aggregate_id = o.aggregate_id and earlier.sent_at is null and earlier.seq < o.seq
           )
         order by o.seq
         limit ?
         for update skip locked
       )
       returning id, seq, aggregate_id, type, envelope, correlation_id`,
      [this.leaseMs, this.batchSize],
    );
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let round: RelayRound = { claimed: 0, published: 0, failed: 0 };
      if (this.broker.isConnected()) {
        try {
          round = await this.relayOnce();
        } catch (error) {
          this.logger.error({ err: errorSummary(error) }, 'outbox relay round failed');
          round = { claimed: 0, published: 0, failed: 1 };
        }
      }
      if (round.failed > 0) this.failures++;
      else this.failures = 0;
      // More may be waiting (later events of the orders just sent): go again at once.
      if (round.claimed > 0 && round.failed === 0) continue;
      const wait =
        this.failures > 0 ? Math.min(this.maxBackoffMs, 250 * 2 ** (this.failures - 1)) : this.pollIntervalMs;
      await this.idle(wait, this.failures === 0);
    }
  }

  /** Sleeps `ms`; a wake() ends it early unless the broker is failing (then only the backoff paces us). */
  private idle(ms: number, wakeable: boolean): Promise<void> {
    if (wakeable && this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        // Cleared so a wake() during the next round is remembered in `woken`, not spent on this finished wait.
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wakeUp = () => {
        if (wakeable || this.stopping) {
          this.woken = false;
          finish();
        }
      };
    });
  }
}
