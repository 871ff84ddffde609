// The outbox relay: publishes committed outbox rows to the `orders` exchange
// and marks them sent only after the broker confirmed them.
//
// Each round is short steps, none holding a transaction while the broker is
// awaited (on PGlite an open transaction blocks every other connection):
//   0. write down what an earlier round could not (rows confirmed but not
//      marked sent, failed rows not released) before claiming anything new,
//      so a database blip costs no second publish once the database answers;
//   1. claim: one statement leases a batch (`locked_until`, `locked_by`),
//      taking rows with FOR UPDATE SKIP LOCKED so concurrent relays never
//      claim the same row, and only a row with no earlier unsent row of the
//      same order, so the events of one order go out one after another;
//   2. publish each claimed row (confirm, mandatory, persistent);
//   3. mark the confirmed rows sent; release the others for a later round.
//
// Leases are short (5 s) and renewed every third of that while this relay
// holds the rows, so a relay killed mid-round leaves nothing idle for long:
// its rows are claimable again within one lease, and go out again
// (at-least-once: consumers dedupe on the message id). Why a lease rather
// than ownership that dies with a database connection (an open transaction,
// session advisory locks)? The pool lends a connection per statement, so no
// connection lives as long as a claim; an open transaction would block
// PGlite; and a partitioned (not closed) connection lingers on the server
// until TCP keepalive gives up, minutes, while a lease ends by the
// database's own clock.
//
// Long on purpose: the round's steps depend on each other's bookkeeping
// (claimed, confirmed, unmarked rows); read together they show no gap.
import { randomUUID } from 'node:crypto';
import type { Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { BrokerUnavailableError, type Broker } from '../broker/broker.js';
import { errorSummary } from '../broker/retry.js';
import { Exchange } from '../broker/topology.js';
import { RelayLeases } from './relay-leases.js';
import type { EventEnvelope } from './envelope.js';

export interface RelayOptions {
  /** Rows claimed per round. */
  batchSize?: number;
  /** Wait between rounds when there was nothing to send (a wake() cuts it short). */
  pollIntervalMs?: number;
  /** How long a claim keeps other relays off a row unless renewed (every third of it, while held). */
  leaseMs?: number;
  /** Longest wait between rounds while the broker is failing. */
  maxBackoffMs?: number;
  /** Longest wait between rounds while the database is failing: how soon the relay notices it is back. */
  maxDatabaseBackoffMs?: number;
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
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxDatabaseBackoffMs: number;
  private readonly leases: RelayLeases;
  /** Confirmed by the broker, not yet marked sent (the database failed): marked before anything new is claimed. */
  private readonly unmarked = new Set<string>();
  /** Failed to publish, not yet released, with why. */
  private readonly unreleased = new Map<string, string>();
  private running: Promise<void> | null = null;
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private woken = false;

  constructor(
    private readonly orm: Orm,
    private readonly broker: Broker,
    private readonly logger: Logger,
    options: RelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.maxDatabaseBackoffMs = options.maxDatabaseBackoffMs ?? 1000;
    this.leases = new RelayLeases(orm, randomUUID(), options.leaseMs ?? 5000, logger);
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

  /** Finishes the round in progress and writes down its results if the database lets it, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    this.running = null;
    await this.writeLeftovers().catch((error: unknown) => {
      // Their leases run out within leaseMs; another relay publishes them again.
      this.logger.warn(
        { err: errorSummary(error), rows: this.leases.size },
        'outbox relay stopped holding unwritten rows',
      );
    });
    this.leases.stop();
  }

  /** One round: write down leftovers, claim, publish, mark. Throws when the database fails. */
  async relayOnce(): Promise<RelayRound> {
    await this.writeLeftovers();
    const rows = await this.claim();
    if (rows.length === 0) return { claimed: 0, published: 0, failed: 0 };
    this.leases.hold(rows.map((row) => row.id));
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
    for (const row of sent) {
      this.unmarked.add(row.id);
      this.onPublished?.({ id: row.id, aggregateId: row.aggregate_id, type: row.type });
    }
    // Released at once: the loop's backoff, not the lease, paces the next try.
    for (const { row, error } of failed) this.unreleased.set(row.id, errorSummary(error));
    if (failed.length > 0) {
      const first = failed[0]?.error;
      const log = { failed: failed.length, published: sent.length, err: errorSummary(first) };
      if (first instanceof BrokerUnavailableError)
        this.logger.warn(log, 'outbox relay: broker unavailable; will retry');
      else this.logger.error(log, 'outbox relay: publish failed; will retry');
    }
    await this.writeLeftovers();
    return { claimed: rows.length, published: sent.length, failed: failed.length };
  }

  /** Marks confirmed rows sent and releases failed ones; what the database refuses stays for the next try. */
  private async writeLeftovers(): Promise<void> {
    const em = this.orm.em.fork();
    if (this.unmarked.size > 0) {
      const ids = [...this.unmarked];
      // Marked whoever holds the lease now: it was published. coalesce keeps the first time if another relay marked it too.
      await em.execute(
        `update outbox set sent_at = coalesce(sent_at, now()), locked_until = null, locked_by = null, last_error = null
         where id in (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      for (const id of ids) {
        this.unmarked.delete(id);
        this.leases.letGo(id);
      }
    }
    for (const [id, error] of [...this.unreleased]) {
      await em.execute(
        `update outbox set locked_until = null, locked_by = null, last_error = ? where id = ? and locked_by = ? and sent_at is null`,
        [error, id, this.leases.relayId],
      );
      this.unreleased.delete(id);
      this.leases.letGo(id);
    }
  }

  private async claim(): Promise<ClaimedRow[]> {
    return this.orm.em.fork().execute<ClaimedRow[]>(
      `update outbox set locked_until = now() + (? * interval '1 millisecond'), locked_by = ?, attempts = attempts + 1
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
      [this.leases.leaseMs, this.leases.relayId, this.batchSize],
    );
  }

  private async loop(): Promise<void> {
    let brokerFailures = 0;
    let databaseFailures = 0;
    while (!this.stopping) {
      let round: RelayRound = { claimed: 0, published: 0, failed: 0 };
      try {
        // Writing down leftovers needs no broker; claiming new rows does.
        if (this.broker.isConnected()) round = await this.relayOnce();
        else await this.writeLeftovers();
        databaseFailures = 0;
      } catch (error) {
        databaseFailures++;
        if (databaseFailures === 1 || databaseFailures % 30 === 0) {
          this.logger.error({ err: errorSummary(error), pending: this.unmarked.size }, 'outbox relay round failed');
        }
      }
      if (round.failed > 0) brokerFailures++;
      else brokerFailures = 0;
      // More may be waiting (later events of the orders just sent): go again at once.
      if (databaseFailures === 0 && round.claimed > 0 && round.failed === 0) continue;
      const wait =
        databaseFailures > 0
          ? Math.min(this.maxDatabaseBackoffMs, 100 * 2 ** (databaseFailures - 1))
          : brokerFailures > 0
            ? Math.min(this.maxBackoffMs, 250 * 2 ** (brokerFailures - 1))
            : this.pollIntervalMs;
      await this.idle(wait, databaseFailures === 0 && brokerFailures === 0);
    }
  }

  /** Sleeps `ms`; a wake() ends it early unless something is failing (then only the backoff paces us). */
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
