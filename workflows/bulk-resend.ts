/**
 * One bulk resend (`POST /v1/notifications/resend`): the API answers 202 at once and this workflow
 * does the work, so thousands of matches never time out a request, and the job survives a crash
 * of the API or the worker. Deterministic code only; the filter is a few strings.
 */
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { BulkResendFilter, BulkResendResult } from './shared';

type Activities = ReturnType<typeof createActivities>;

const { resendMatching } = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  // The activity heartbeats after each page: a dead worker is noticed within a minute and the
  // retry resumes from the last heartbeat.
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  summary: 'signal resend to every matching notification',
});

export async function bulkResendWorkflow(filter: BulkResendFilter): Promise<BulkResendResult> {
  setCurrentDetails('**Resending…**');
  const result = await resendMatching(filter);
  setCurrentDetails(`**Done:** ${result.resent} resent, ${result.skipped} skipped (no snapshot), of ${result.matched} matched`);
  return result;
}
