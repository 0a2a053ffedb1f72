/**
 * `GET /v1/info`: what a client (the console) needs to know about this Herald: its version, the
 * Temporal namespace and Web UI URL (for links to a notification's workflow), and whether private
 * destinations are allowed. Nothing secret.
 */
import { Router } from 'express';
import type { AppDeps } from '../app';
import { HERALD_VERSION } from '../paths';

export function infoRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.json({
      version: HERALD_VERSION,
      temporalNamespace: deps.config.temporal.namespace,
      temporalUiUrl: deps.temporalUiUrl ?? deps.config.temporalUiUrl ?? null,
      allowPrivateDestinations: deps.config.allowPrivateDestinations,
    });
  });
  return router;
}

