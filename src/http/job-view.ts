/**
 * The public view of a job run as a workflow (bulk resend, replay): its state, times and, once
 * completed, its result. One home for the `GET .../{jobId}` routes. A job belongs to the account in
 * its `HeraldAccountId` search attribute (`default` for jobs from before accounts): another
 * account's job answers 404, as an unknown one does.
 */
import type { TemporalHandle } from '../temporal';
import { notFound } from '../errors';
import { HeraldAccountId } from '../../workflows/shared';
import { currentAccountId, DEFAULT_ACCOUNT } from '../accounts/scope';

export async function jobView<R>(temporal: Pick<TemporalHandle, 'client'>, workflowId: string, jobId: string, what: string, opts: { platform?: boolean } = {}) {
  const handle = temporal.client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw notFound(what);
    throw err;
  }
  // A platform job (the retention purge) spans accounts: its route is for admin keys only.
  if (!opts.platform && (description.typedSearchAttributes.get(HeraldAccountId) ?? DEFAULT_ACCOUNT) !== currentAccountId()) throw notFound(what);
  const state = description.status.name;
  const result = state === 'COMPLETED' ? ((await handle.result()) as R) : null;
  return {
    jobId,
    status: state === 'RUNNING' ? 'running' : state === 'COMPLETED' ? 'completed' : 'failed',
    startedAt: description.startTime,
    closedAt: description.closeTime ?? null,
    result,
  };
}
