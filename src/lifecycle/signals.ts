// SIGTERM/SIGINT for an entry point: run its graceful stop once, bounded by
// SHUTDOWN_TIMEOUT, then exit (0 when everything stopped, 1 otherwise). Later
// signals are ignored: Ctrl-C under `npm start` reaches the process twice
// (from the terminal and forwarded by npm).
import type { Logger } from '../logger.js';

export function stopOnSignals(stop: () => Promise<void>, logger: Logger, timeoutMs: number): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      const started = Date.now();
      logger.info({ signal, timeoutMs }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown took longer than SHUTDOWN_TIMEOUT; exiting');
        process.exit(1);
      }, timeoutMs);
      timer.unref();
      stop().then(
        () => {
          logger.info({ ms: Date.now() - started }, 'stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
