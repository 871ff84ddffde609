import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { isReplicaFailure, parseLsn, ReadReplicas } from './read-replicas.js';

/** A connection that answers `select ...lsn` with `lsn()` and fails when `failure()` says so. */
function fakeConnection(lsn: () => string | null, failure: () => Error | null = () => null) {
  const calls: string[] = [];
  const connection = {
    calls,
    execute: (sql: string) => {
      calls.push(sql);
      const error = failure();
      return error ? Promise.reject(error) : Promise.resolve([{ lsn: lsn() }]);
    },
  };
  return connection as typeof connection & PostgreSqlConnection;
}

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

describe('WAL positions', () => {
  it('compare as numbers, not as text', () => {
    expect(parseLsn('0/A0') > parseLsn('0/9F')).toBe(true);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(() => parseLsn('nonsense')).toThrow('not a WAL position');
  });

  it('a lost connection or a recovery conflict is a replica failure; a bad query is not', () => {
    expect(isReplicaFailure(refused)).toBe(true);
    expect(isReplicaFailure(Object.assign(new Error('terminating'), { code: '57P01' }))).toBe(true);
    expect(isReplicaFailure(Object.assign(new Error('conflict with recovery'), { code: '40001' }))).toBe(true);
    expect(isReplicaFailure(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false);
  });
});

describe('routing reads', () => {
  it('uses the primary when there are no replicas', () => {
    expect(new ReadReplicas().readsFor('someone')).toBe('write');
  });

  it('keeps a writer on the primary until the replica has replayed past their commit', async () => {
    let replayed = '0/10';
    let primaryAt = '0/20';
    const replicas = new ReadReplicas();
    replicas.attach(
      fakeConnection(() => primaryAt),
      [{ name: 'r1', connection: fakeConnection(() => replayed) }],
    );
    // Nothing is known of the replica before it has answered once.
    expect(replicas.readsFor('writer')).toBe('write');
    await replicas.check();
    expect(replicas.readsFor('writer')).toBe('read');

    replicas.wrote('writer');
    // Pinned at once, before the commit position is even known.
    expect(replicas.readsFor('writer')).toBe('write');
    expect(replicas.readsFor('someone else')).toBe('read');
    await new Promise((resolve) => setImmediate(resolve));
    primaryAt = '0/99';
    replayed = '0/1F';
    await replicas.check();
    expect(replicas.readsFor('writer')).toBe('write');
    replayed = '0/20';
    await replicas.check();
    expect(replicas.readsFor('writer')).toBe('read');
  });

  it('takes a dead replica out of service, reruns its failed read on the primary, and says so', async () => {
    let down = false;
    const primary = fakeConnection(() => '0/5');
    const replica = fakeConnection(
      () => '0/5',
      () => (down ? refused : null),
    );
    const replicas = new ReadReplicas();
    replicas.attach(primary, [{ name: 'r1', connection: replica }]);
    await replicas.check();
    expect(replicas.pick()).toBe(replica);

    down = true;
    const answer = await replica.execute('select from orders');
    expect(answer).toEqual([{ lsn: '0/5' }]);
    expect(primary.calls).toContain('select from orders');
    expect(replicas.pick()).toBeNull();
    expect(replicas.readsFor('anyone')).toBe('write');
    await expect(replicas.check()).rejects.toThrow('read replicas down (reads go to the primary): r1');

    down = false;
    await replicas.check();
    expect(replicas.pick()).toBe(replica);
  });
});
