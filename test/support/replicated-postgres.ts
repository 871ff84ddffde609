// A private PostgreSQL primary and a streaming replica of it, for the tests of
// read replicas: the shared server refuses replication connections and must
// not be reconfigured. Both run from the machine's PostgreSQL binaries in temp
// directories, on free ports, as the postgres OS user when the tests run as
// root (initdb refuses root). In CI a cluster that cannot start fails the test.
import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../bench/lib/infra.js';

const run = promisify(execFile);

export interface ReplicatedPostgres {
  primaryUrl: string;
  replicaUrl: string;
  /** Stops the replica at once, as a crash would. */
  killReplica(): Promise<void>;
  startReplica(): Promise<void>;
  /** Runs SQL on the primary or the replica as the superuser. */
  query<R extends pg.QueryResultRow>(on: 'primary' | 'replica', sql: string): Promise<R[]>;
  /** Resolves once the replica has replayed everything the primary has written so far. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

/** The newest PostgreSQL server binaries installed, or null. */
export function postgresBinaries(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_basebackup')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** PostgreSQL will not run as root: then its tools run as the postgres OS user, who owns the directories. */
const asRoot = process.getuid?.() === 0;

async function tool(bin: string, name: string, args: string[]): Promise<void> {
  const [file, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', join(bin, name), ...args]]
    : [join(bin, name), args];
  try {
    await run(file, argv, { timeout: 60_000 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${name} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error });
  }
}

export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const bin = postgresBinaries();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  const root = mkdtempSync(join(tmpdir(), 'order-service-replica-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(root, Number(stdout.trim()), Number(gid.trim()));
  }
  const primaryDir = join(root, 'primary');
  const replicaDir = join(root, 'replica');
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const options = (port: number, extra = '') =>
    `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60${extra}`;
  const pgCtl = (dir: string, ...args: string[]) => tool(bin, 'pg_ctl', ['-D', dir, '-l', `${dir}.log`, '-w', ...args]);

  let primaryRunning = false;
  let replicaRunning = false;
  const stop = async () => {
    if (replicaRunning) await pgCtl(replicaDir, '-m', 'immediate', 'stop').catch(() => undefined);
    if (primaryRunning) await pgCtl(primaryDir, '-m', 'immediate', 'stop').catch(() => undefined);
    replicaRunning = primaryRunning = false;
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await tool(bin, 'initdb', ['-D', primaryDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    appendFileSync(join(primaryDir, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
    await pgCtl(primaryDir, '-o', options(primaryPort), 'start');
    primaryRunning = true;
    await tool(bin, 'pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-D',
      replicaDir,
      '-R',
      '-X',
      'stream',
    ]);
    const startReplica = async () => {
      await pgCtl(replicaDir, '-o', options(replicaPort, ' -c hot_standby=on'), 'start');
      replicaRunning = true;
    };
    await startReplica();

    const primaryUrl = `postgresql://postgres@127.0.0.1:${primaryPort}/postgres`;
    const replicaUrl = `postgresql://postgres@127.0.0.1:${replicaPort}/postgres`;
    const query = async <R extends pg.QueryResultRow>(on: 'primary' | 'replica', sql: string) => {
      const client = new pg.Client({ connectionString: on === 'primary' ? primaryUrl : replicaUrl });
      await client.connect();
      try {
        return (await client.query<R>(sql)).rows;
      } finally {
        await client.end();
      }
    };
    return {
      primaryUrl,
      replicaUrl,
      query,
      startReplica,
      async killReplica() {
        await pgCtl(replicaDir, '-m', 'immediate', 'stop');
        replicaRunning = false;
      },
      async caughtUp() {
        const [{ lsn }] = (await query<{ lsn: string }>('primary', 'select pg_current_wal_lsn()::text as lsn')) as [
          { lsn: string },
        ];
        const deadline = Date.now() + 30_000;
        for (;;) {
          const [row] = await query<{ done: boolean }>(
            'replica',
            `select pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn as done`,
          );
          if (row?.done) return;
          if (Date.now() > deadline) throw new Error(`the replica did not replay up to ${lsn} in 30 s`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
