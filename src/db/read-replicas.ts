// Where a read may go when DATABASE_READ_URLS names replicas. Only reads that
// ask for it (`connectionType` from `readsFor`) use a replica; everything else,
// and everything inside a transaction, stays on the primary.
//
// Read-your-writes: after a caller's change commits, the primary's WAL position
// (LSN) is remembered for that caller, and their reads stay on the primary
// until every replica that serves reads has replayed past it. The replicas'
// replay positions are polled in the background (a stale value only keeps a
// caller on the primary a little longer, never sends them to a replica that
// lacks their write), so routing a read costs no round trip. A replica that
// fails a poll or a query serves no reads until a poll finds it again; a read
// it failed is run again on the primary.
import type { ConnectionType } from '@mikro-orm/core';
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';

/** How often the replicas' replay positions are read. */
export const REPLICA_POLL_MS = 200;
/** A caller whose write position could not be read stays on the primary this long. */
const UNKNOWN_POSITION_PIN_MS = 60_000;

/** A WAL position (`16/B374D848`) as a number that compares. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text.trim());
  if (!match) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** Errors that say the server or the connection is gone (no SQLSTATE, or classes 08 and 57), or a replica cancelled the read. */
export function isReplicaFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith('08') || code.startsWith('57') || code === '40001';
}

interface ReplicaState {
  name: string;
  connection: PostgreSqlConnection;
  /** The replica's own execute, without the fallback: what its health is judged by. */
  probe: PostgreSqlConnection['execute'];
  up: boolean;
  /** The last replay position read; null until the first poll answers. */
  replayed: bigint | null;
}

interface Pin {
  /** The primary's position after the caller's latest commit; null until read. */
  position: bigint | null;
  /** Without a position, the pin lapses then. */
  until: number;
}

type Execute = PostgreSqlConnection['execute'];

export class ReadReplicas {
  private replicas: ReplicaState[] = [];
  private primary: PostgreSqlConnection | null = null;
  private readonly pins = new Map<string, Pin>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(private readonly logger?: Logger) {}

  /** Takes over the ORM's connections (db/orm.ts): failed replica reads are run again on the primary. */
  attach(primary: PostgreSqlConnection, replicas: readonly { name: string; connection: PostgreSqlConnection }[]): void {
    this.primary = primary;
    const onPrimary: Execute = primary.execute.bind(primary);
    this.replicas = replicas.map(({ name, connection }) => {
      const replica: ReplicaState = {
        name,
        connection,
        probe: connection.execute.bind(connection),
        up: true,
        replayed: null,
      };
      connection.execute = (async (...args: Parameters<Execute>) => {
        try {
          return await replica.probe(...args);
        } catch (error) {
          // Inside a transaction (a ctx) the caller must see the failure; a plain read moves to the primary.
          if (args[3] || !isReplicaFailure(error)) throw error;
          this.markDown(replica, error);
          return onPrimary(...args);
        }
      }) as Execute;
      return replica;
    });
  }

  get configured(): boolean {
    return this.replicas.length > 0;
  }

  /** Starts polling the replicas' replay positions. */
  start(): void {
    if (!this.configured || this.timer) return;
    this.polling = this.poll();
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = null));
    }, REPLICA_POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** Which connection the caller's next plain read goes to: a replica only if it has their writes. */
  readsFor(callerKey: string | null): ConnectionType {
    if (!this.configured) return 'write';
    const live = this.replicas.filter((r) => r.up && r.replayed !== null);
    if (live.length === 0) return 'write';
    const pin = callerKey === null ? undefined : this.pins.get(callerKey);
    if (!pin) return 'read';
    if (pin.position === null) return Date.now() < pin.until ? 'write' : 'read';
    const slowest = live.reduce((min, r) => ((r.replayed as bigint) < min ? (r.replayed as bigint) : min), 2n ** 64n);
    return slowest >= pin.position ? 'read' : 'write';
  }

  /**
   * A change of the caller's has committed: until the replicas have it, the
   * caller reads from the primary. Called before the change is answered, so
   * the caller's next read is already pinned.
   */
  wrote(callerKey: string): void {
    if (!this.configured || !this.primary) return;
    const pin: Pin = { position: null, until: Date.now() + UNKNOWN_POSITION_PIN_MS };
    this.pins.set(callerKey, pin);
    void this.primary
      .execute<{ lsn: string }[]>('select pg_current_wal_lsn()::text as lsn')
      .then(([row]) => {
        if (row && this.pins.get(callerKey) === pin) pin.position = parseLsn(row.lsn);
      })
      .catch((err: unknown) => this.logger?.warn({ err }, 'could not read the primary’s WAL position'));
  }

  /** The replica to serve a plain read: a random one of those up, or null for the primary. */
  pick(): PostgreSqlConnection | null {
    const up = this.replicas.filter((r) => r.up && r.replayed !== null);
    if (up.length === 0) return null;
    return (up[Math.floor(Math.random() * up.length)] as ReplicaState).connection;
  }

  /** For /readyz: rejects, naming them, while any replica is down. */
  async check(): Promise<void> {
    await this.poll();
    const down = this.replicas.filter((r) => !r.up).map((r) => r.name);
    if (down.length > 0) throw new Error(`read replicas down (reads go to the primary): ${down.join(', ')}`);
  }

  private async poll(): Promise<void> {
    await Promise.all(
      this.replicas.map(async (replica) => {
        try {
          const [row] = await replica.probe<{ lsn: string | null }[]>('select pg_last_wal_replay_lsn()::text as lsn');
          // Not a standby (null): it cannot say what it has, so it serves nothing.
          if (!row?.lsn) throw new Error(`${replica.name} is not replaying WAL`);
          replica.replayed = parseLsn(row.lsn);
          if (!replica.up) this.logger?.info({ replica: replica.name }, 'read replica is back');
          replica.up = true;
        } catch (error) {
          this.markDown(replica, error);
        }
      }),
    );
    this.forgetCaughtUp();
  }

  private markDown(replica: ReplicaState, error: unknown): void {
    if (replica.up)
      this.logger?.warn({ replica: replica.name, err: error }, 'read replica is down: reads go to the primary');
    replica.up = false;
  }

  /** Pins every live replica has passed, or that lapsed, are dropped: the map holds only recent writers. */
  private forgetCaughtUp(): void {
    const live = this.replicas.filter((r) => r.up && r.replayed !== null).map((r) => r.replayed as bigint);
    const slowest =
      live.length === this.replicas.length && live.length > 0 ? live.reduce((a, b) => (a < b ? a : b)) : null;
    const now = Date.now();
    for (const [key, pin] of this.pins) {
      if (pin.position === null ? now >= pin.until : slowest !== null && slowest >= pin.position) this.pins.delete(key);
    }
  }
}
