// The first middleware of every request: gives it an id (the caller's
// x-request-id when it is sane, else a new one), echoes it, runs the rest of
// the request in a scope that stamps the id on every log line, and writes one
// access-log line when the response is done.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { runInScope, type RequestScope } from '../observability/request-scope.js';

const REQUEST_ID = /^[\w.:-]{1,100}$/;
/** Probes and scrapes arrive every few seconds; their lines would drown the rest at info. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.header('x-request-id');
    const scope: RequestScope = { requestId: given && REQUEST_ID.test(given) ? given : randomUUID() };
    res.setHeader('x-request-id', scope.requestId);
    const started = performance.now();
    res.once('close', () => {
      const path = req.originalUrl.split('?')[0] ?? req.originalUrl;
      const level = QUIET_PATHS.has(path) ? 'debug' : 'info';
      // Nothing to write at this level (LOG_LEVEL=warn): no line, no child logger to build for it.
      if (!logger.isLevelEnabled(level)) return;
      const line = {
        method: req.method,
        path,
        // By TRUST_PROXY: the client behind the load balancer, not the balancer.
        ip: req.ip,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        operationName: scope.operationName,
        // The client went away before the whole response was written.
        aborted: res.writableFinished ? undefined : true,
      };
      // The request's own logger: its access line carries the id as a binding, like any child's lines.
      logger.child({ requestId: scope.requestId })[level](line, 'request');
    });
    runInScope(scope, next);
  };
}
