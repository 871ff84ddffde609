// How long and how wide each scenario runs: the full run fits in 15 minutes
// on two cores; --quick is a smoke test.
export interface Timing {
  warmupMs: number;
  durationMs: number;
  concurrencies: number[];
  readConcurrency: number;
  subscriberCounts: number[];
  endToEndSeconds: number;
  endToEndClients: number;
}

export function timingFor(quick: boolean): Timing {
  return quick
    ? {
        warmupMs: 500,
        durationMs: 2_000,
        concurrencies: [1, 16, 64],
        readConcurrency: 16,
        subscriberCounts: [100, 500],
        endToEndSeconds: 3,
        endToEndClients: 16,
      }
    : {
        warmupMs: 2_000,
        durationMs: 10_000,
        concurrencies: [1, 16, 64],
        readConcurrency: 32,
        subscriberCounts: [1_000, 5_000, 10_000],
        endToEndSeconds: 15,
        endToEndClients: 64,
      };
}
