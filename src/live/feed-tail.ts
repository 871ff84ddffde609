// This instance's reading of the change feed: it follows the feed from where
// it started, in feed order, and hands every change to the fan-out. It reads
// when woken (a commit here, a signal from another process over Redis) and
// at least every LIVE_POLL_INTERVAL, so a change whose signal was lost (Redis
// down, the committing process killed right after its commit) is still
// delivered, only later.
import type { Logger } from '../logger.js';
import type { ChangeFeed, FeedKey, OrderChange } from '../orders/index.js';

export interface FeedTailOptions {
  /** Longest wait between reads when nothing wakes the tail. */
  pollIntervalMs: number;
  /** Shortest time between two reads: wakes within it are served by one read. */
  minIntervalMs?: number;
  batchSize?: number;
}

export class FeedTail {
  /** The last key handed on; a subscriber starting now starts here. */
  position: FeedKey = { txid: '0', position: '0' };
  /** When a read last succeeded (ms), for /readyz. */
  lastReadAt = 0;
  private woken = false;
  private wakeUp: (() => void) | null = null;
  private stopping = false;
  private running: Promise<void> | null = null;
  private failing = false;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly deliver: (changes: OrderChange[]) => Promise<void>,
    private readonly logger: Logger,
    private readonly options: FeedTailOptions,
  ) {}

  /** Starts at the feed's current head: what commits from now on is delivered. */
  async start(): Promise<void> {
    this.position = await this.feed.head();
    this.lastReadAt = Date.now();
    this.running = this.loop();
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
  }

  private async loop(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    const minInterval = this.options.minIntervalMs ?? 10;
    while (!this.stopping) {
      let full = false;
      try {
        const changes = await this.feed.read({ after: this.position, scope: { all: true }, limit: batchSize });
        this.lastReadAt = Date.now();
        if (this.failing) this.logger.info('reading the change feed again');
        this.failing = false;
        if (changes.length > 0) {
          await this.deliver(changes);
          this.position = (changes.at(-1) as OrderChange).key;
        }
        full = changes.length === batchSize;
      } catch (err) {
        if (!this.failing) {
          this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot read the change feed');
        }
        this.failing = true;
      }
      if (full) continue;
      await this.sleep(minInterval, false);
      await this.sleep(this.options.pollIntervalMs, true);
    }
  }

  /** Waits `ms`; when `wakeable`, a wake() (or one that came during the last read) ends it early. */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (wakeable && this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        // A wake during a pause that it cannot cut short is kept for the next wait.
        if (wakeable) this.woken = false;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      timer.unref();
      this.wakeUp = wakeable ? finish : () => (this.stopping ? finish() : undefined);
    });
  }
}
