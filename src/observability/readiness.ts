// What /readyz reports. The database is critical (503 when it is down); Redis
// and the broker register as non-critical: the service then still answers,
// from the database and the outbox, and says it is degraded.
import type { Logger } from '../logger.js';

export interface DependencyCheck {
  name: string;
  /** Down means the service cannot serve: /readyz answers 503. */
  critical: boolean;
  /** Resolves when the dependency answers; rejects otherwise. */
  check(): Promise<void>;
}

export type ReadinessStatus = 'ready' | 'degraded' | 'unavailable' | 'stopping';

export interface ReadinessReport {
  status: ReadinessStatus;
  /** Each dependency, up or down. */
  checks: Record<string, 'up' | 'down'>;
  /** The non-critical dependencies that are down. */
  degraded: string[];
}

/** A check that has not answered by then counts as down: a probe must not hang on a dead socket. */
export const CHECK_TIMEOUT_MS = 2_000;

export class Readiness {
  private readonly dependencies: DependencyCheck[] = [];
  private readonly lastState = new Map<string, 'up' | 'down'>();
  private stopping = false;

  constructor(private readonly logger: Logger) {}

  register(dependency: DependencyCheck): void {
    if (this.dependencies.some((d) => d.name === dependency.name)) {
      throw new Error(`readiness check "${dependency.name}" is registered twice`);
    }
    this.dependencies.push(dependency);
  }

  /** From the start of shutdown on, /readyz says so, and load balancers stop sending traffic. */
  markStopping(): void {
    this.stopping = true;
  }

  async report(): Promise<ReadinessReport> {
    const results = await Promise.all(
      this.dependencies.map(async (dependency) => {
        const error = await withTimeout(dependency.check(), CHECK_TIMEOUT_MS).then(
          () => undefined,
          (e: unknown) => e ?? new Error('check failed'),
        );
        const state = error === undefined ? ('up' as const) : ('down' as const);
        // Probes run every few seconds: log a change of state, not every failure.
        if (this.lastState.get(dependency.name) !== state) {
          this.lastState.set(dependency.name, state);
          if (state === 'down')
            this.logger.warn({ dependency: dependency.name, err: error }, `${dependency.name} is down`);
          else this.logger.info({ dependency: dependency.name }, `${dependency.name} is up`);
        }
        return { dependency, state };
      }),
    );
    const checks = Object.fromEntries(results.map((r) => [r.dependency.name, r.state]));
    const down = results.filter((r) => r.state === 'down');
    const degraded = down.filter((r) => !r.dependency.critical).map((r) => r.dependency.name);
    let status: ReadinessStatus = 'ready';
    if (this.stopping) status = 'stopping';
    else if (down.some((r) => r.dependency.critical)) status = 'unavailable';
    else if (degraded.length > 0) status = 'degraded';
    return { status, checks, degraded };
  }
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
