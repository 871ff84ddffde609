// The ordered steps of stopping. Whoever starts something registers how to
// stop it, in the phase where it belongs; stop() runs the phases in order.
// Within a phase, the step registered last runs first: what started later
// may depend on what started before it (the pool on the embedded database).
import type { Logger } from '../logger.js';

export const SHUTDOWN_PHASES = [
  /** Close websockets with 1001 (going away) before the HTTP drain would cut them without a close frame. */
  'sockets',
  /** Stop accepting connections; let in-flight HTTP requests finish. */
  'http',
  /** Background work: the relay after its current batch, consumers after acking their current message. */
  'workers',
  /** Clients and pools: broker, Redis, database, the embedded database. */
  'connections',
] as const;

export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

interface Step {
  phase: ShutdownPhase;
  name: string;
  stop: () => Promise<void>;
}

export class ShutdownRegistry {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  add(phase: ShutdownPhase, name: string, stop: () => Promise<void>): void {
    this.steps.push({ phase, name, stop });
  }

  /** Runs every step once, even when an earlier one fails; calling it again waits for the same run. */
  stop(): Promise<void> {
    this.running ??= this.runSteps();
    return this.running;
  }

  private async runSteps(): Promise<void> {
    for (const phase of SHUTDOWN_PHASES) {
      const steps = this.steps.filter((s) => s.phase === phase).reverse();
      for (const step of steps) {
        const started = performance.now();
        try {
          await step.stop();
          this.logger.debug({ phase, step: step.name, ms: Math.round(performance.now() - started) }, 'stopped');
        } catch (err) {
          this.logger.error({ err, phase, step: step.name }, 'error while stopping');
        }
      }
    }
  }
}
