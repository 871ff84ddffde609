// The leases one relay holds on outbox rows: every row it claimed and has not
// yet marked sent or released, renewed every third of the lease for as long
// as it holds them (a slow confirm, a database blip before the mark). When
// the relay dies the renewals stop, and its rows are free within one lease.
import type { Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { errorSummary } from '../broker/retry.js';

export class RelayLeases {
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private renewing = false;

  constructor(
    private readonly orm: Orm,
    /** The relay named in `locked_by`. */
    readonly relayId: string,
    readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.held.size;
  }

  hold(ids: readonly string[]): void {
    for (const id of ids) this.held.add(id);
    if (this.timer || this.held.size === 0) return;
    this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  letGo(id: string): void {
    this.held.delete(id);
    if (this.held.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    const ids = [...this.held];
    try {
      await this.orm.em.fork().execute(
        `update outbox set locked_until = now() + (? * interval '1 millisecond')
           where locked_by = ? and sent_at is null and id in (${ids.map(() => '?').join(', ')})`,
        [this.leaseMs, this.relayId, ...ids],
      );
    } catch (error) {
      // The database is away: the relay writes its rows down (or the leases expire) once it answers.
      this.logger.debug({ err: errorSummary(error), rows: ids.length }, 'outbox relay could not renew its leases');
    } finally {
      this.renewing = false;
    }
  }
}
