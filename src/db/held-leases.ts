// Leases a worker holds on rows it claimed (outbox rows, notification
// deliveries): every row it has not yet finished, renewed every third of the
// lease for as long as it holds them (a slow send, a database blip before the
// row is written down). A lease can then be short: when the worker dies the
// renewals stop, and its rows are free for another worker within one lease,
// however long a send may take.
export class HeldLeases {
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private renewing = false;

  constructor(
    readonly leaseMs: number,
    /** One statement that pushes the lease of these rows to now + leaseMs (only rows still this worker's). */
    private readonly renewRows: (ids: string[], leaseMs: number) => Promise<unknown>,
    /** The database is away: the rows are written down (or their leases expire) once it answers. */
    private readonly renewFailed: (error: unknown, rows: number) => void,
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
      await this.renewRows(ids, this.leaseMs);
    } catch (error) {
      this.renewFailed(error, ids.length);
    } finally {
      this.renewing = false;
    }
  }
}
