/**
 * The retention purge: deletes notifications and then events past HERALD_RETENTION, in batches (one
 * activity call each, so no call runs long and a crash loses at most one batch's progress), until
 * a batch comes back short. Run hourly by the `herald-purge` schedule (src/purge-schedule.ts) and
 * on demand (`herald purge`, `POST /v1/retention/purge`). The cutoff is fixed once per run, by an
 * activity (the worker's clock and configuration), and carried over continue-as-new with the counts.
 * After the events, one activity removes flow-control state no longer needed (endpoint health of
 * deleted webhooks, delivery permits that can never matter again: src/flow-control/housekeeping.ts).
 * Deterministic code only.
 */
import { continueAsNew, patched, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { PurgeInput, PurgeProgress, PurgeResult } from './shared';

type Activities = ReturnType<typeof createActivities>;

const { purgeCutoff, purgeNotifications, purgeEvents, purgeFlowControlState } = proxyActivities<Activities>({
  // A batch is a read and a delete of a few hundred documents.
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  summary: 'purge past the retention',
});

const DEFAULT_BATCH_SIZE = 500;

export async function purgeWorkflow(input: PurgeInput = {}): Promise<PurgeResult> {
  const limit = input.batchSize ?? DEFAULT_BATCH_SIZE;
  const cutoff = input.cutoff ?? (await purgeCutoff());
  const progress: PurgeProgress = input.progress ?? { phase: 'notifications', notifications: 0, events: 0, after: null };
  setCurrentDetails(`**Purging** what was idle since before ${cutoff.cutoff}…`);
  for (;;) {
    if (progress.phase === 'notifications') {
      const batch = await purgeNotifications({ cutoff: cutoff.cutoff, limit });
      progress.notifications += batch.deleted;
      if (batch.scanned < limit) progress.phase = 'events';
    } else {
      const batch = await purgeEvents({ cutoff: cutoff.cutoff, limit, after: progress.after });
      progress.events += batch.deleted;
      progress.after = batch.next ?? progress.after;
      if (batch.scanned < limit) break;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof purgeWorkflow>({ batchSize: limit, cutoff, progress });
    }
  }
  const result: PurgeResult = { ...cutoff, notifications: progress.notifications, events: progress.events };
  // A run that had passed this point before the step existed (its history ends here) replays without it.
  if (patched('purge-flow-control-state')) {
    const flowControl = await purgeFlowControlState();
    Object.assign(result, { healthDocs: flowControl.healthDocs, permits: flowControl.permits });
  }
  setCurrentDetails(
    `**Done:** ${result.notifications} notification(s) and ${result.events} event(s) idle since before ${cutoff.cutoff} purged` +
      (result.permits === undefined ? '' : `; ${result.healthDocs} health record(s) of deleted webhooks and ${result.permits} delivery permit(s) no longer needed`),
  );
  return result;
}
