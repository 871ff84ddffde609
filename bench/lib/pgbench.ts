// Runs pgbench with a custom script and reads its throughput and, from the
// per-transaction log, its latency percentiles.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { summarize, type LatencySummary } from './stats.js';

const run = promisify(execFile);

export interface PgbenchResult {
  tps: number;
  transactions: number;
  failed: number;
  latencyMs: LatencySummary;
}

export interface PgbenchOptions {
  url: string;
  script: string;
  clients: number;
  seconds: number;
  variables: Record<string, string | number>;
  tmpDir: string;
}

/** The "tps = ..." figure pgbench prints, excluding the time spent connecting. */
export function parsePgbenchOutput(stdout: string): { tps: number; transactions: number; failed: number } {
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
  const transactions = /number of transactions actually processed: (\d+)/.exec(stdout)?.[1];
  const failed = /number of failed transactions: (\d+)/.exec(stdout)?.[1];
  if (tps === undefined || transactions === undefined) throw new Error(`unexpected pgbench output:\n${stdout}`);
  return { tps: Number(tps), transactions: Number(transactions), failed: Number(failed ?? 0) };
}

/** Latencies (ms) from pgbench's per-transaction log lines: `client tx latency_us script epoch us`. */
export function parsePgbenchLog(text: string): number[] {
  const latencies: number[] = [];
  for (const line of text.split('\n')) {
    const latencyUs = line.split(' ')[2];
    if (latencyUs !== undefined && /^\d+$/.test(latencyUs)) latencies.push(Number(latencyUs) / 1000);
  }
  return latencies;
}

export async function runPgbench(options: PgbenchOptions): Promise<PgbenchResult> {
  const logDir = await mkdtemp(join(options.tmpDir, 'pgbench-'));
  try {
    const args = [
      '--no-vacuum',
      // The node driver the service uses sends parameters over the extended protocol, unprepared.
      '--protocol=extended',
      `--client=${options.clients}`,
      `--jobs=${Math.min(options.clients, 2)}`,
      `--time=${options.seconds}`,
      `--file=${options.script}`,
      '--log',
      `--log-prefix=${join(logDir, 'tx')}`,
      ...Object.entries(options.variables).map(([k, v]) => `--define=${k}=${v}`),
      options.url,
    ];
    const { stdout } = await run('pgbench', args, { cwd: logDir, maxBuffer: 16 * 1024 * 1024 });
    const totals = parsePgbenchOutput(stdout);
    const latencies: number[] = [];
    for (const file of await readdir(logDir))
      latencies.push(...parsePgbenchLog(await readFile(join(logDir, file), 'utf8')));
    return { ...totals, latencyMs: summarize(latencies) };
  } finally {
    await rm(logDir, { recursive: true, force: true });
  }
}
