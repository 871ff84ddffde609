// Closes each socket when its access token expires, with one timer for all
// of them: ten thousand sockets open for hours would otherwise hold ten
// thousand timers and their closures. A sweep closes whatever is due and
// sets the timer for the next; sweeps are at least `granularityMs` apart, so
// a socket may outlive its token by that much at most.

// setTimeout fires at once for delays over 2^31-1 ms; no access token lives that long, but be safe.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class TokenExpiries<S> {
  private readonly due = new Map<S, number>();
  private timer: NodeJS.Timeout | undefined;
  private nextAt = Infinity;

  constructor(
    private readonly expire: (socket: S) => void,
    private readonly granularityMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  /** Expire `socket` at `at` (ms since epoch). */
  watch(socket: S, at: number): void {
    this.due.set(socket, at);
    if (at < this.nextAt) this.arm(at);
  }

  forget(socket: S): void {
    this.due.delete(socket);
    if (this.due.size === 0) this.disarm();
  }

  get size(): number {
    return this.due.size;
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.nextAt = at;
    this.timer = setTimeout(() => this.sweep(), Math.min(Math.max(0, at - this.now()), MAX_TIMER_MS));
    this.timer.unref();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = Infinity;
  }

  private sweep(): void {
    this.disarm();
    const now = this.now();
    let next = Infinity;
    for (const [socket, at] of this.due) {
      if (at <= now) {
        this.due.delete(socket);
        this.expire(socket);
      } else if (at < next) {
        next = at;
      }
    }
    if (next !== Infinity) this.arm(Math.max(next, now + this.granularityMs));
  }
}
