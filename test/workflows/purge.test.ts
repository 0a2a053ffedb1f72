/**
 * The purge workflow on Temporal's time-skipping test server, with its activities mocked: it asks
 * for the cutoff once, deletes notifications batch after batch until one comes back short, then
 * events the same way (each batch starting where the last one stopped), then the flow-control
 * state no longer needed (once), and adds up the counts.
 */
import { randomBytes } from 'node:crypto';
import { useTimeSkipping } from '../helpers/time-skipping';
import { PURGE_WORKFLOW, purgeWorkflowId, type PurgeBatchInput, type PurgeBatchResult, type PurgeInput, type PurgeResult } from '../../workflows/shared';

const { env, runWorker } = useTimeSkipping();
const CUTOFF = { cutoff: '2026-10-31T12:00:00.000Z', retentionSeconds: 30 * 86400 };

interface Calls {
  cutoff: number;
  notifications: PurgeBatchInput[];
  events: PurgeBatchInput[];
  /** Every activity called, in order. */
  order: string[];
}

const FLOW_CONTROL = { healthDocs: 2, permits: 9, permitsByKind: { rate: 4, lease: 1, probe: 1, report: 3, takeover: 0 } };

/** Activities that serve the given batch sizes in turn (scanned; all of them deleted unless `kept`). */
function mocked(notificationBatches: number[], eventBatches: Array<{ scanned: number; kept?: number }>) {
  const calls: Calls = { cutoff: 0, notifications: [], events: [], order: [] };
  const activities = {
    purgeCutoff: async () => {
      calls.order.push('cutoff');
      calls.cutoff++;
      return CUTOFF;
    },
    purgeNotifications: async (input: PurgeBatchInput): Promise<PurgeBatchResult> => {
      calls.order.push('notifications');
      calls.notifications.push(input);
      const scanned = notificationBatches[calls.notifications.length - 1] ?? 0;
      return { scanned, deleted: scanned };
    },
    purgeEvents: async (input: PurgeBatchInput): Promise<PurgeBatchResult> => {
      calls.order.push('events');
      calls.events.push(input);
      const n = calls.events.length;
      const batch = eventBatches[n - 1] ?? { scanned: 0 };
      return { scanned: batch.scanned, deleted: batch.scanned - (batch.kept ?? 0), next: batch.scanned ? { createdAt: CUTOFF.cutoff, id: `evt_${n}` } : (input.after ?? null) };
    },
    purgeFlowControlState: async () => {
      calls.order.push('flowControl');
      return FLOW_CONTROL;
    },
  };
  return { calls, activities };
}

function runPurge(activities: ReturnType<typeof mocked>['activities'], input: PurgeInput) {
  return runWorker(activities, async (taskQueue) =>
    (await env.client.workflow.execute(PURGE_WORKFLOW, { taskQueue, workflowId: purgeWorkflowId(`job_${randomBytes(6).toString('hex')}`), args: [input] })) as PurgeResult,
  );
}

const FLOW_CONTROL_COUNTS = { healthDocs: FLOW_CONTROL.healthDocs, permits: FLOW_CONTROL.permits };

test('loops over full batches, stops on a short one, notifications first, then events from where each batch stopped', async () => {
  const { calls, activities } = mocked([3, 3, 1], [{ scanned: 3, kept: 1 }, { scanned: 3 }, { scanned: 2, kept: 2 }]);
  const result = await runPurge(activities, { batchSize: 3 });
  expect(result).toEqual({ ...CUTOFF, notifications: 7, events: 5, ...FLOW_CONTROL_COUNTS });
  expect(calls.cutoff).toBe(1);
  expect(calls.notifications).toEqual([1, 2, 3].map(() => ({ cutoff: CUTOFF.cutoff, limit: 3 })));
  expect(calls.events).toEqual([
    { cutoff: CUTOFF.cutoff, limit: 3, after: null },
    { cutoff: CUTOFF.cutoff, limit: 3, after: { createdAt: CUTOFF.cutoff, id: 'evt_1' } },
    { cutoff: CUTOFF.cutoff, limit: 3, after: { createdAt: CUTOFF.cutoff, id: 'evt_2' } },
  ]);
});

test('nothing to purge: one empty batch of each, 500 at a time by default', async () => {
  const { calls, activities } = mocked([0], [{ scanned: 0 }]);
  const result = await runPurge(activities, {});
  expect(result).toEqual({ ...CUTOFF, notifications: 0, events: 0, ...FLOW_CONTROL_COUNTS });
  expect(calls.notifications).toEqual([{ cutoff: CUTOFF.cutoff, limit: 500 }]);
  expect(calls.events).toEqual([{ cutoff: CUTOFF.cutoff, limit: 500, after: null }]);
});

test('a continued run keeps its cutoff and counts: no new cutoff, resumes in the events phase after the last position', async () => {
  const { calls, activities } = mocked([], [{ scanned: 1 }]);
  const after = { createdAt: '2026-10-01T00:00:00.000Z', id: 'evt_9' };
  const result = await runPurge(activities, { batchSize: 2, cutoff: CUTOFF, progress: { phase: 'events', notifications: 40, events: 6, after } });
  expect(result).toEqual({ ...CUTOFF, notifications: 40, events: 7, ...FLOW_CONTROL_COUNTS });
  expect(calls.cutoff).toBe(0);
  expect(calls.notifications).toEqual([]);
  expect(calls.events).toEqual([{ cutoff: CUTOFF.cutoff, limit: 2, after }]);
});

test('the flow-control state goes once, after the last events batch; its counts are in the result and the final details', async () => {
  const { calls, activities } = mocked([2, 0], [{ scanned: 2 }, { scanned: 1 }]);
  const { result, details } = await runWorker(activities, async (taskQueue) => {
    const handle = await env.client.workflow.start(PURGE_WORKFLOW, { taskQueue, workflowId: purgeWorkflowId(`job_${randomBytes(6).toString('hex')}`), args: [{ batchSize: 2 }] });
    const result = (await handle.result()) as PurgeResult;
    // The details the Web UI shows (setCurrentDetails), read while the worker still answers queries.
    const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    return { result, details: meta.currentDetails };
  });
  expect(calls.order).toEqual(['cutoff', 'notifications', 'notifications', 'events', 'events', 'flowControl']);
  expect(result).toEqual({ ...CUTOFF, notifications: 2, events: 3, healthDocs: 2, permits: 9 });
  expect(details).toBe(
    `**Done:** 2 notification(s) and 3 event(s) idle since before ${CUTOFF.cutoff} purged; 2 health record(s) of deleted webhooks and 9 delivery permit(s) no longer needed`,
  );
});
