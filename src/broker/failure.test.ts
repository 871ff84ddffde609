// Which failures wait out an outage and which count toward the poison bound.
// Where a library can produce its error here without a server (a closed
// port), the test uses that real error rather than a look-alike.
import {
  ConnectionException,
  DeadlockException,
  DriverException,
  ForeignKeyConstraintViolationException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { Redis } from 'ioredis';
import { createServer } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { UnknownOrderError } from '../orders/index.js';
import { MalformedMessageError } from '../outbox/envelope.js';
import { BrokerUnavailableError } from './broker.js';
import { classifyFailure } from './failure.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('what a failure says about itself', () => {
  it('an error marked transient: true is transient, transient: false permanent', () => {
    expect(classifyFailure(Object.assign(new Error('payment provider busy'), { transient: true }))).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('not allowed'), { transient: false }))).toBe('permanent');
  });

  it('the outermost error that says something wins over what it wraps', () => {
    const refused = withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED');
    const wrapped = new Error('could not apply the payment', { cause: refused });
    expect(classifyFailure(wrapped)).toBe('transient');
    const ruledOut = Object.assign(new Error('gave up on this message', { cause: refused }), { transient: false });
    expect(classifyFailure(ruledOut)).toBe('permanent');
  });

  it('the broker being away is transient; a malformed message or an unknown order is permanent', () => {
    expect(classifyFailure(new BrokerUnavailableError())).toBe('transient');
    expect(classifyFailure(new MalformedMessageError('The body is not JSON'))).toBe('permanent');
    expect(classifyFailure(new UnknownOrderError('00000000-0000-4000-8000-000000000000'))).toBe('permanent');
  });

  it('a bug, or something thrown that is not an error, is permanent', () => {
    expect(classifyFailure(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe('permanent');
    expect(classifyFailure('boom')).toBe('permanent');
    expect(classifyFailure(null)).toBe('permanent');
    expect(classifyFailure(undefined)).toBe('permanent');
  });
});

describe('PostgreSQL', () => {
  // SQLSTATEs from the PostgreSQL manual, appendix A, by what they mean for a retry.
  it.each([
    ['08000', 'connection_exception'],
    ['08003', 'connection_does_not_exist'],
    ['08006', 'connection_failure'],
    ['08001', 'sqlclient_unable_to_establish_sqlconnection'],
    ['57P01', 'admin_shutdown'],
    ['57P02', 'crash_shutdown'],
    ['57P03', 'cannot_connect_now'],
    ['53300', 'too_many_connections'],
    ['53200', 'out_of_memory'],
    ['40P01', 'deadlock_detected'],
    ['40001', 'serialization_failure'],
    ['55P03', 'lock_not_available'],
  ])('SQLSTATE %s (%s) is transient', (code, name) => {
    expect(classifyFailure(withCode(name, code))).toBe('transient');
    // As MikroORM hands it on: a DriverException that copies the driver's code.
    expect(classifyFailure(new DriverException(withCode(name, code)))).toBe('transient');
  });

  it.each([
    ['23505', 'unique_violation'],
    ['23503', 'foreign_key_violation'],
    ['22P02', 'invalid_text_representation'],
    ['42P01', 'undefined_table'],
    ['42501', 'insufficient_privilege'],
  ])('SQLSTATE %s (%s) is permanent', (code, name) => {
    expect(classifyFailure(withCode(name, code))).toBe('permanent');
    expect(classifyFailure(new DriverException(withCode(name, code)))).toBe('permanent');
  });

  it('MikroORM connection and deadlock exceptions are transient, constraint violations permanent', () => {
    expect(classifyFailure(new ConnectionException(new Error('Connection terminated unexpectedly')))).toBe('transient');
    expect(classifyFailure(new DeadlockException(withCode('deadlock detected', '40P01')))).toBe('transient');
    expect(classifyFailure(new UniqueConstraintViolationException(withCode('duplicate key', '23505')))).toBe(
      'permanent',
    );
    expect(classifyFailure(new ForeignKeyConstraintViolationException(withCode('violates fk', '23503')))).toBe(
      'permanent',
    );
  });

  it('node-postgres losing its connection or its pool timing out is transient', () => {
    // node-postgres says these in words only, without a code.
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'select 1 - Connection terminated unexpectedly',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
      'Knex: Timeout acquiring a connection. The pool is probably full.',
    ]) {
      expect(classifyFailure(new Error(message)), message).toBe('transient');
      expect(classifyFailure(new DriverException(new Error(message))), message).toBe('transient');
    }
  });

  it('a real refused connection from node-postgres, alone and in a pool, is transient', async () => {
    const port = await closedPort();
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', connectionTimeoutMillis: 2000 });
    const refused = await client.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect(classifyFailure(refused)).toBe('transient');
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', connectionTimeoutMillis: 2000 });
    const fromPool = await pool.query('select 1').then(
      () => undefined,
      (error: unknown) => error,
    );
    await pool.end();
    expect(classifyFailure(fromPool)).toBe('transient');
  });
});

describe('sockets, Redis and aggregates', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])(
    'a socket error %s is transient',
    (code) => {
      expect(classifyFailure(withCode(`connect ${code}`, code))).toBe('transient');
    },
  );

  it('an AggregateError of refused connections (IPv4 and IPv6 tried) is transient', () => {
    const error = new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'connect failed');
    expect(classifyFailure(error)).toBe('transient');
  });

  it('a real ioredis command against a server that is not there is transient', async () => {
    const port = await closedPort();
    const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, lazyConnect: true });
    redis.on('error', () => undefined);
    const error = await redis.get('key').then(
      () => undefined,
      (e: unknown) => e,
    );
    redis.disconnect();
    expect(error).toBeInstanceOf(Error);
    expect(classifyFailure(error)).toBe('transient');
  });

  it('Redis replies that mean "not now" are transient; other replies permanent', () => {
    for (const reply of [
      'LOADING Redis is loading the dataset in memory',
      'READONLY You cannot write against a read only replica.',
      'CLUSTERDOWN The cluster is down',
      'BUSY Redis is busy running a script.',
    ]) {
      expect(classifyFailure(new Error(reply)), reply).toBe('transient');
    }
    expect(classifyFailure(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(
      'permanent',
    );
    expect(classifyFailure(new Error('Connection is closed.'))).toBe('transient');
  });
});
