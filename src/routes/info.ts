/**
 * `GET /v1/info`: what a client (the console) needs to know about this Herald: its version, the
 * Temporal namespace and Web UI URL (for links to a notification's workflow), and whether private
 * destinations are allowed; and who is calling: the account the request acts on and whether the key
 * is an admin's (the console shows an account picker to admins only). Nothing secret.
 */
import { Router } from 'express';
import type { AppDeps } from '../app';
import { HERALD_VERSION } from '../paths';
import { callerOf } from '../http/auth';

export function infoRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const caller = callerOf(res);
    const account = await deps.models.Account.findById(caller.accountId, { name: 1 }).lean();
    res.json({
      account: { id: caller.accountId, name: account?.name ?? caller.accountId },
      admin: caller.admin,
      version: HERALD_VERSION,
      temporalNamespace: deps.config.temporal.namespace,
      temporalUiUrl: deps.temporalUiUrl ?? deps.config.temporalUiUrl ?? null,
      allowPrivateDestinations: deps.config.allowPrivateDestinations,
    });
  });
  return router;
}

