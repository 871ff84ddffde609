// Runs the compiled service (dist/src/main.js, built by build-once.ts) and
// the compiled consumers process (dist/consumers/main.js) as child processes,
// the way `npm start`, `npm run consumers` and the Docker image do.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = 'dist/src/main.js';
export const CONSUMERS_MAIN = 'dist/consumers/main.js';

/** Only what the test sets, plus PATH: nothing leaks in from the developer's shell. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...env };
}

export function runMainToExit(env: Record<string, string>) {
  return spawnSync(process.execPath, [MAIN], { cwd: ROOT, env: childEnv(env), encoding: 'utf8', timeout: 60_000 });
}

export interface RunningService {
  child: ChildProcess;
  /** e.g. http://127.0.0.1:41234/graphql */
  url: string;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `script` and resolves once one of its JSON log lines makes `ready` return a value; rejects if it
 * exits first. Every log line is kept in `logs`.
 */
async function startUntilReady<T>(
  script: string,
  what: string,
  env: Record<string, string>,
  ready: (entry: Record<string, unknown>) => T | undefined,
): Promise<{ child: ChildProcess; value: T; logs: Record<string, unknown>[]; exited: RunningService['exited'] }> {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const value = await new Promise<T>((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        const found = ready(entry);
        if (found !== undefined) resolve(found);
      }
    });
    void exited.then(({ code }) => reject(new Error(`${what} exited (${code}) before it was ready: ${stderr}`)));
  });
  return { child, value, logs, exited };
}

/** Starts the service and resolves once it logs that it is ready (LOG_LEVEL must be info or lower). */
export async function startMain(env: Record<string, string>): Promise<RunningService> {
  const { child, value, logs, exited } = await startUntilReady(MAIN, 'the service', env, (entry) =>
    typeof entry.url === 'string' && String(entry.msg).startsWith('order service ready') ? entry.url : undefined,
  );
  return { child, url: value, logs, exited };
}

/** Starts the consumers process and resolves once it logs that it is ready (LOG_LEVEL must be info or lower). */
export async function startConsumersProcess(env: Record<string, string>): Promise<ChildProcess> {
  const { child } = await startUntilReady(CONSUMERS_MAIN, 'the consumers process', env, (entry) =>
    entry.msg === 'consumers ready' ? true : undefined,
  );
  return child;
}
