// Which request (or which message, by the request that caused it) the running
// code serves, without handing an id down every call: the logger stamps it on
// each line, and consumers enter a scope with a message's correlation id.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestScope {
  /** The HTTP request id, or the correlation id a message carries. */
  readonly requestId: string;
  /** The GraphQL operation, once resolved; the access log reports it. */
  operationName?: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `work` in a scope: every log line written inside, however deep, carries `requestId`. */
export function runInScope<T>(scope: RequestScope, work: () => T): T {
  return storage.run(scope, work);
}

/**
 * For consumers and the relay: handle a message under the correlation id it
 * carries, so its log lines share the id of the request that caused it.
 */
export function withCorrelationId<T>(correlationId: string, work: () => T): T {
  return storage.run({ requestId: correlationId }, work);
}

export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

/** The request id (or correlation id) of the running code, if any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.requestId;
}
