// The runner's side of the forked HTTP load process.
import { join } from 'node:path';
import type { HttpLoadResult, HttpLoadSpec, LoadReply, LoadRequest } from '../load/protocol.js';
import { forkOnce, type BenchContext } from './infra.js';

export async function runLoad(ctx: BenchContext, spec: HttpLoadSpec): Promise<HttpLoadResult> {
  const reply = await forkOnce<LoadRequest, LoadReply>(
    ctx,
    join(ctx.repoRoot, 'dist/bench/load/http-load.js'),
    { type: 'http', spec },
    spec.warmupMs + spec.durationMs + 60_000,
  );
  if (reply.type === 'error') throw new Error(`load process failed: ${reply.message}`);
  return reply.result;
}

/** A note for a load that saw failures, or nothing. */
export function errorNote(label: string, result: HttpLoadResult): string[] {
  if (result.errors === 0) return [];
  return [`${label}: ${result.errors} failed requests (of ${result.ok + result.errors}); first: ${result.firstError}`];
}
