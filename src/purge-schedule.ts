/**
 * The `herald-purge` Temporal Schedule: runs the purge workflow (workflows/purge.ts) every hour on
 * Herald's task queue, skipping a run while the previous one is still going. Every worker creates
 * it at start, or brings an existing one up to date (interval, workflow, task queue; a pause set by
 * an operator is kept), so several workers starting at once all end with the same one schedule.
 *
 * Its id is `herald-purge` on the default task queue and `herald-purge-<queue>` on another, so two
 * Heralds sharing a namespace (and the tests, one queue per file) each purge their own database.
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import { PURGE_WORKFLOW, type PurgeInput } from '../workflows/shared';

export const PURGE_INTERVAL = '1 hour';
const DEFAULT_TASK_QUEUE = 'herald-notifications';

export function purgeScheduleId(taskQueue: string): string {
  return taskQueue === DEFAULT_TASK_QUEUE ? 'herald-purge' : `herald-purge-${taskQueue}`;
}

function purgeAction(taskQueue: string): ScheduleOptionsStartWorkflowAction<(input?: PurgeInput) => Promise<unknown>> {
  return {
    type: 'startWorkflow',
    workflowType: PURGE_WORKFLOW,
    taskQueue,
    // The schedule appends the run's time to it.
    workflowId: purgeScheduleId(taskQueue),
    args: [{}],
    staticSummary: 'retention purge (scheduled)',
  };
}

const spec: ScheduleOptions['spec'] = { intervals: [{ every: PURGE_INTERVAL }] };
const policies: ScheduleOptions['policies'] = {
  overlap: ScheduleOverlapPolicy.SKIP,
  // A run missed while Temporal was down is not made up: the next hourly one covers it.
  catchupWindow: '1 minute',
};

/** Creates the schedule, or updates the one that exists; returns which. */
export async function ensurePurgeSchedule(client: Client, taskQueue: string): Promise<'created' | 'updated'> {
  const scheduleId = purgeScheduleId(taskQueue);
  try {
    await client.schedule.create({ scheduleId, spec, action: purgeAction(taskQueue), policies, state: { note: 'Herald retention: see HERALD_RETENTION' } });
    return 'created';
  } catch (err) {
    // Another worker (or an earlier start) created it: bring it up to date below.
    if ((err as Error).name !== 'ScheduleAlreadyRunning') throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...previous,
    spec,
    action: purgeAction(taskQueue),
    policies: { ...previous.policies, ...policies },
    state: { paused: previous.state.paused, note: previous.state.note },
  }));
  return 'updated';
}

export interface PurgeScheduleView {
  id: string;
  paused: boolean;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
}

/** The schedule's state for the API and CLI; null until a worker has created it. */
export async function describePurgeSchedule(client: Client, taskQueue: string): Promise<PurgeScheduleView | null> {
  const id = purgeScheduleId(taskQueue);
  try {
    const d = await client.schedule.getHandle(id).describe();
    const last = d.info.recentActions.at(-1);
    return { id, paused: d.state.paused, nextRunAt: d.info.nextActionTimes[0] ?? null, lastRunAt: last?.takenAt ?? null };
  } catch (err) {
    if ((err as Error).name === 'ScheduleNotFoundError') return null;
    throw err;
  }
}
