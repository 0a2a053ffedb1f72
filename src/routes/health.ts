/** Unauthenticated probes and metrics: /healthz (process up), /readyz (MongoDB and Temporal reachable), /metrics. */
import { Router } from 'express';
import type { AppDeps } from '../app';
import { temporalReachable } from '../temporal';

export function healthRouter(deps: AppDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const [mongodb, temporal] = await Promise.all([deps.db.ping(), temporalReachable(deps.temporal)]);
    const ready = mongodb && temporal;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { mongodb, temporal } });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  return router;
}
