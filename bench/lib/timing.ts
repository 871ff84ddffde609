// How long and how wide each scenario runs: the full run takes about 15
// minutes on two cores (the end-to-end phases alone 4 to 12, by how long an
// overloaded phase takes to drain); --quick is a smoke test.
export interface Timing {
  warmupMs: number;
  durationMs: number;
  concurrencies: number[];
  readConcurrency: number;
  subscriberCounts: number[];
  /** Offered orders/s, one phase each, in this order. */
  endToEndRates: number[];
  endToEndPhaseSeconds: number;
  /**
   * The most the bench waits after a phase for its orders to be paid and every subscriber to hold
   * its changes (it goes on as soon as they are): a phase that overloads the service must not leave
   * its backlog to the next one.
   */
  endToEndDrainMs: number;
}

export function timingFor(quick: boolean): Timing {
  return quick
    ? {
        warmupMs: 500,
        durationMs: 2_000,
        concurrencies: [1, 16, 64],
        readConcurrency: 16,
        subscriberCounts: [100, 500],
        endToEndRates: [25, 50, 100, 200],
        endToEndPhaseSeconds: 5,
        endToEndDrainMs: 30_000,
      }
    : {
        warmupMs: 2_000,
        durationMs: 10_000,
        concurrencies: [1, 16, 64],
        readConcurrency: 32,
        subscriberCounts: [1_000, 5_000, 10_000],
        endToEndRates: [25, 50, 100, 200],
        endToEndPhaseSeconds: 60,
        endToEndDrainMs: 90_000,
      };
}
