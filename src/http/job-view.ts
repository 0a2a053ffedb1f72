/**
 * The public view of a job run as a workflow (bulk resend, replay): its state, times and, once
 * completed, its result. One home for both `GET .../{jobId}` routes.
 */
import type { TemporalHandle } from '../temporal';
import { notFound } from '../errors';

export async function jobView<R>(temporal: Pick<TemporalHandle, 'client'>, workflowId: string, jobId: string, what: string) {
  const handle = temporal.client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw notFound(what);
    throw err;
  }
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
