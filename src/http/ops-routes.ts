// The routes operators and orchestrators call: liveness, readiness, metrics.
import { Router } from 'express';
import type { Metrics } from '../observability/metrics.js';
import type { Readiness } from '../observability/readiness.js';

/**
 * /healthz and /readyz, and /metrics unless it is served apart (METRICS_PORT:
 * `metrics` null here, metricsRoutes on a listener of its own).
 */
export function operationalRoutes({ readiness, metrics }: { readiness: Readiness; metrics: Metrics | null }): Router {
  const router = Router();
  // Alive means the event loop answers; dependencies belong to /readyz, or a
  // database outage would get every instance restarted for nothing.
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await readiness.report();
    res.status(report.status === 'ready' || report.status === 'degraded' ? 200 : 503).json(report);
  });
  if (metrics) router.use(metricsRoutes(metrics));
  return router;
}

export function metricsRoutes(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.render());
  });
  return router;
}
