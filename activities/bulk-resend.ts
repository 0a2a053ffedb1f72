/**
 * resendMatching: the work of one bulk resend, as one long activity that pages through the
 * matches and signals each notification's workflow. It heartbeats its progress (the _id cursor and
 * the counts), so a retry after a worker crash resumes from the last page instead of starting over;
 * the few notifications of an interrupted page may get one extra resend (at-least-once, like
 * everything else here).
 */
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './index';
import type { BulkResendFilter, BulkResendResult } from '../workflows/shared';
import { resendMany, type ResendProgress } from '../src/delivery/resend';

export function createBulkResendActivity(deps: Pick<ActivityDeps, 'models'>) {
  return async function resendMatching(filter: BulkResendFilter): Promise<BulkResendResult> {
    const ctx = Context.current();
    const resumed = ctx.info.heartbeatDetails as ResendProgress | undefined;
    const done = await resendMany(
      deps.models,
      { client: ctx.client, taskQueue: ctx.info.taskQueue },
      {
        status: filter.status,
        webhookId: filter.webhookId,
        eventType: filter.eventType,
        since: filter.since ? new Date(filter.since) : undefined,
        until: filter.until ? new Date(filter.until) : undefined,
      },
      {
        notAfter: new Date(filter.notAfter),
        from: resumed,
        args: { reason: `bulk resend ${ctx.info.workflowExecution?.workflowId ?? ""}` },
        onProgress: (p) => ctx.heartbeat(p),
      },
    );
    return { matched: done.resent + done.skipped, resent: done.resent, skipped: done.skipped };
  };
}
