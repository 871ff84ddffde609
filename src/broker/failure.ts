// Whose fault is a failed message? Transient: the world's (a database,
// broker or Redis briefly away, a deadlock victim), so try again later for
// as long as it takes. Permanent: the message's own (malformed, about an
// order that does not exist, a broken rule), so a few tries, then its
// dead-letter queue. Decided here and nowhere else (see retry.ts for what
// each kind gets).

export type FailureKind = 'transient' | 'permanent';

/**
 * An error says what it is with a boolean `transient` property (domain code
 * sets it; BrokerUnavailableError and MalformedMessageError do). Otherwise
 * recognisable infrastructure trouble is transient, and everything else,
 * bugs included, permanent: a bug is poison until it is fixed, and the DLQ
 * keeps the message for a replay.
 */
export function classifyFailure(error: unknown): FailureKind {
  // The outermost error that says something wins: a wrapper may mark what it wraps either way.
  for (const link of errorChain(error)) {
    const flag = link.transient;
    if (flag === true) return 'transient';
    if (flag === false) return 'permanent';
    if (isInfrastructureFailure(link)) return 'transient';
  }
  return 'permanent';
}

/**
 * PostgreSQL SQLSTATEs that say "not now": connection exceptions (class 08),
 * insufficient resources (class 53: too many connections, out of memory or
 * disk), a serialization or deadlock victim, a lock or statement timeout, a
 * server shutting down, restarting or not accepting connections yet.
 */
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53'];
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57P05', // idle_session_timeout
  '58000', // system_error
  '58030', // io_error
]);

/** Node's socket and DNS errors: the other end is not there right now. */
const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTCONN',
  'EAI_AGAIN',
  // A container restarting under an orchestrator drops out of DNS for a moment.
  'ENOTFOUND',
]);

/** Error classes of the drivers that mean "connection trouble" (matched by name: no driver is imported here). */
const TRANSIENT_NAMES = new Set([
  'ConnectionException', // MikroORM
  'DeadlockException', // MikroORM: 40001 and 40P01
  'LockWaitTimeoutException', // MikroORM
  'KnexTimeoutError',
  'MaxRetriesPerRequestError', // ioredis: the command waited through reconnects
  'ClusterAllFailedError', // ioredis
]);

/** Errors that carry no code, only words: node-postgres and its pool, ioredis, generic pools. */
const TRANSIENT_MESSAGES = [
  // pg: "unexpectedly", "due to connection timeout"; an ORM may put the query in front.
  /\bConnection terminated\b/,
  /timeout exceeded when trying to connect/i, // pg-pool
  /Timeout acquiring a connection/i, // knex, tarn and friends
  /Client has encountered a connection error and is not queryable/, // pg
  /^Connection is closed\.?$/, // ioredis
  /^Stream isn't writeable/, // ioredis without an offline queue
  /^Command timed out$/, // ioredis commandTimeout
  /^Socket timeout/, // ioredis
  // Redis replies while loading, failing over or scripting.
  /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY)\b/,
];

function isInfrastructureFailure(error: ErrorLike): boolean {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code) {
    if (TRANSIENT_SYSTEM_CODES.has(code) || TRANSIENT_SQLSTATES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return true;
  }
  if (typeof error.name === 'string' && TRANSIENT_NAMES.has(error.name)) return true;
  const message = typeof error.message === 'string' ? error.message : '';
  return TRANSIENT_MESSAGES.some((pattern) => pattern.test(message));
}

interface ErrorLike {
  transient?: unknown;
  code?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The error, then what it wraps (`cause`, an AggregateError's `errors`), breadth first and bounded. */
function* errorChain(error: unknown): Generator<ErrorLike> {
  const queue: unknown[] = [error];
  const seen = new Set<unknown>();
  for (let i = 0; i < queue.length && i < 16; i++) {
    const current = queue[i];
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const link = current as ErrorLike;
    yield link;
    if (link.cause !== undefined) queue.push(link.cause);
    if (Array.isArray(link.errors)) queue.push(...(link.errors as unknown[]));
  }
}
