// The run's own resources (a PostgreSQL database, a RabbitMQ vhost, a Redis
// key prefix, temp files) and the child processes the bench starts: the
// compiled service, baseline servers and load processes. Everything made
// here is registered for teardown.
import { execFile, fork, spawn } from 'node:child_process';
import { openSync, closeSync, existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { cpus, freemem, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Machine } from './results.js';

const run = promisify(execFile);

export interface BenchContext {
  quick: boolean;
  runId: string;
  repoRoot: string;
  tmpDir: string;
  profileDir: string | null;
  pgAdminUrl: string;
  redisUrl: string;
  rabbitmqUrl: string;
  /** Teardown, run last-in first-out. */
  cleanups: (() => Promise<void>)[];
}

export function machineInfo(): Machine {
  return {
    nproc: cpus().length,
    memoryGiB: totalmem() / 1024 ** 3,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    os: `${type()} ${release()} (free memory at start ${(freemem() / 1024 ** 3).toFixed(1)} GiB)`,
  };
}

export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** A database of the run's own, dropped at teardown. */
export async function createDatabase(ctx: BenchContext, name: string): Promise<string> {
  await withClient(ctx.pgAdminUrl, (c) => c.query(`create database "${name}"`));
  ctx.cleanups.push(() =>
    withClient(ctx.pgAdminUrl, (c) => c.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  );
  return databaseUrl(ctx.pgAdminUrl, name);
}

/** A RabbitMQ vhost of the run's own (rabbitmqctl, as the tests do), deleted at teardown. */
export async function createVhost(ctx: BenchContext, name: string): Promise<string> {
  await run('rabbitmqctl', ['add_vhost', name]);
  await run('rabbitmqctl', ['set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  ctx.cleanups.push(() => run('rabbitmqctl', ['delete_vhost', name]).then(() => undefined));
  const url = new URL(ctx.rabbitmqUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface Child {
  name: string;
  pid: number;
  logFile: string;
  exited: boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  rssBytes(): Promise<number | null>;
  logTail(lines?: number): Promise<string>;
}

/**
 * Starts `node <script> ...args` with exactly `env` (plus PATH and HOME),
 * its open-files limit raised (thousands of sockets), output to a log file.
 */
export async function startNode(
  ctx: BenchContext,
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  options: { cpuProfile?: boolean } = {},
): Promise<Child> {
  const logFile = join(ctx.tmpDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const nodeArgs: string[] = [];
  if (options.cpuProfile && ctx.profileDir) {
    await mkdir(ctx.profileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`);
  }
  const child = spawn(
    'bash',
    [
      '-c',
      'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"',
      'bash',
      process.execPath,
      ...nodeArgs,
      script,
      ...args,
    ],
    {
      cwd: ctx.repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', fd, fd],
    },
  );
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name}`);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      handle.exited = true;
      resolve();
    }),
  );
  const handle: Child = {
    name,
    pid,
    logFile,
    exited,
    async stop(graceMs = 20_000) {
      if (exited) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exit.then(() => false), sleep(graceMs).then(() => true)]);
      if (killed) {
        child.kill('SIGKILL');
        await exit;
      }
    },
    async rssBytes() {
      if (exited) return null;
      try {
        const status = await readFile(`/proc/${pid}/status`, 'utf8');
        const kib = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
        if (kib) return Number(kib) * 1024;
      } catch {
        // No /proc (not Linux): ask ps.
      }
      const { stdout } = await run('ps', ['-o', 'rss=', '-p', String(pid)]).catch(() => ({ stdout: '' }));
      return stdout.trim() ? Number(stdout.trim()) * 1024 : null;
    },
    async logTail(lines = 30) {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      return text.trimEnd().split('\n').slice(-lines).join('\n');
    },
  };
  ctx.cleanups.push(() => handle.stop(5_000));
  return handle;
}

/** Polls `url` until it answers 200, the child dies or `timeoutMs` passes. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited) throw new Error(`${child.name} exited while starting:\n${await child.logTail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms:\n${await child.logTail()}`);
}

/** Forks a compiled bench script, sends it one message and resolves with its one reply. */
export function forkOnce<Req, Rep>(ctx: BenchContext, script: string, message: Req, timeoutMs: number): Promise<Rep> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { cwd: ctx.repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new Error(`${script} gave no answer within ${timeoutMs} ms`)));
    }, timeoutMs);
    const finish = (then: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      then();
    };
    child.once('message', (reply: Rep) => finish(() => resolve(reply)));
    child.once('error', (error) => finish(() => reject(error)));
    child.once('exit', (code) => finish(() => reject(new Error(`${script} exited with ${code} before answering`))));
    child.send(message as object);
  });
}

export function assertBuilt(repoRoot: string, files: string[]): void {
  for (const file of files) {
    if (!existsSync(join(repoRoot, file))) throw new Error(`${file} is missing: run npm run bench (it builds first)`);
  }
}

export interface Worker<Req, Rep> {
  /** Sends one request and resolves with the next reply. */
  ask(request: Req, timeoutMs: number): Promise<Rep>;
  send(request: Req): void;
  stop(): Promise<void>;
}

/** A long-lived forked bench process (open-files limit raised) that answers requests one at a time. */
export function startWorker<Req, Rep>(ctx: BenchContext, script: string): Worker<Req, Rep> {
  const child = spawn(
    'bash',
    ['-c', 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"', 'bash', process.execPath, script],
    { cwd: ctx.repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await Promise.race([exit, sleep(5_000).then(() => child.kill('SIGKILL'))]);
  };
  ctx.cleanups.push(stop);
  return {
    ask(request, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.off('message', onMessage);
          reject(new Error(`${script} gave no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        const onMessage = (reply: Rep) => {
          clearTimeout(timer);
          resolve(reply);
        };
        child.once('message', onMessage);
        child.send(request as object);
      });
    },
    send(request) {
      child.send(request as object);
    },
    stop,
  };
}

/** Waits until something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForTcp(port: number, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited) throw new Error(`${child.name} exited while starting:\n${await child.logTail()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(200);
  }
  throw new Error(`${child.name} did not listen on ${port} within ${timeoutMs} ms`);
}
