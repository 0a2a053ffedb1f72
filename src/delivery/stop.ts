/**
 * Stop means stop: when a webhook is deleted or disabled, or communications are switched off, every
 * notification whose automatic round is still open gets the `stop` signal, so it ends `cancelled`
 * now instead of at its next attempt. The signals are sent in the background (there may be many);
 * if some are lost (a crash), the deliver activity's own check stops that notification at its next
 * attempt without sending (activities/attempt.ts), so no attempt is ever made after the change.
 */
import type { Logger } from '../logger';
import type { Models } from '../models';
import { signalStop, type TemporalTarget } from '../temporal';
import type { StopReason } from '../../workflows/status';

export interface StopDeps {
  models: Pick<Models, 'Notification'>;
  temporal: TemporalTarget;
  logger: Logger;
}

/** Open notifications read per page: one status at a time, newest first, from the (accountId, [webhookId,] status, _id) index. */
const PAGE = 500;

/** Signals `stop` to every open notification (of one webhook, or all); resolves with how many. */
export async function stopOpenNotifications(deps: StopDeps, scope: { webhookId?: string }, reason: StopReason): Promise<number> {
  const concurrency = 16;
  let stopped = 0;
  for (const status of ['pending', 'retrying']) {
    let before: string | null = null;
    for (;;) {
      const query: Record<string, unknown> = { ...(scope.webhookId ? { webhookId: scope.webhookId } : {}), status, ...(before ? { _id: { $lt: before } } : {}) };
      const page: Array<{ _id: string }> = await deps.models.Notification.find(query, { _id: 1 }).sort({ _id: -1 }).limit(PAGE).lean();
      for (let i = 0; i < page.length; i += concurrency) {
        await Promise.all(page.slice(i, i + concurrency).map((n) => signalStop(deps.temporal, n._id, { reason })));
      }
      stopped += page.length;
      if (page.length < PAGE) break;
      before = page[page.length - 1]._id;
    }
  }
  return stopped;
}

/** Fire and forget, logged: the request that changed the configuration does not wait for every signal. */
export function stopInBackground(deps: StopDeps, scope: { webhookId?: string }, reason: StopReason): void {
  stopOpenNotifications(deps, scope, reason).then(
    (n) => n && deps.logger.info({ ...scope, reason, notifications: n }, 'stopped open notifications'),
    (err: unknown) => deps.logger.warn({ err, ...scope, reason }, 'could not signal every open notification to stop; each stops at its next attempt'),
  );
}
