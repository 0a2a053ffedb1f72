/**
 * The retention purge: deletes notifications and then events past HERALD_RETENTION, in batches (one
 * activity call each, so no call runs long and a crash loses at most one batch's progress), until
 * a batch comes back short. Run hourly by the `herald-purge` schedule (src/purge-schedule.ts) and
 * on demand (`herald purge`, `POST /v1/retention/purge`). The cutoff is fixed once per run, by an
 * activity (the worker's clock and configuration), and carried over continue-as-new with the counts.
 * Deterministic code only.
 */
import { continueAsNew, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { PurgeInput, PurgeProgress, PurgeResult } from './shared';

type Activities = ReturnType<typeof createActivities>;

const { purgeCutoff, purgeNotifications, purgeEvents } = proxyActivities<Activities>({
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
  setCurrentDetails(`**Done:** ${progress.notifications} notification(s) and ${progress.events} event(s) idle since before ${cutoff.cutoff} purged`);
  return { ...cutoff, notifications: progress.notifications, events: progress.events };
}
