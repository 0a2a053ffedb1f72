/**
 * `/v1/retention`: the retention rule and what it would purge now (a dry run: counts only), the
 * `herald-purge` schedule's next and last run, and a purge started on demand as a job (the same
 * workflow the schedule runs), read back like the other jobs. The rule and the dry run are the
 * account's (its `retentionSeconds`, else HERALD_RETENTION); the purge itself is the platform's
 * (every account, each by its own rule), so only an admin key starts or reads one.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { unavailable } from '../errors';
import { jobView } from '../http/job-view';
import { adminOnly } from '../http/auth';
import { currentAccountId } from '../accounts/scope';
import { parseBody } from '../http/validate';
import { newId } from '../ids';
import { retentionReport, startPurge } from '../retention';
import { purgeWorkflowId, type PurgeResult } from '../../workflows/shared';

export function retentionRouter(deps: AppDeps): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    const account = await deps.models.Account.findById(currentAccountId(), { retentionSeconds: 1 }).lean();
    res.json(await retentionReport(deps, account?.retentionSeconds ?? deps.config.retentionSeconds));
  });

  router.post('/purge', adminOnly(), async (req, res) => {
    parseBody(z.object({}).strict(), req.body);
    const jobId = newId('job');
    try {
      await startPurge(deps.temporal, jobId);
    } catch (err) {
      deps.logger.warn({ err }, 'could not start a purge');
      throw unavailable('Temporal is unreachable; nothing was purged, try again');
    }
    res.status(202).json({ jobId });
  });

  router.get('/purge/:jobId', adminOnly(), async (req, res) => {
    res.json(await jobView<PurgeResult>(deps.temporal, purgeWorkflowId(String(req.params.jobId)), String(req.params.jobId), 'Purge job', { platform: true }));
  });

  return router;
}
