/**
 * The bulk-resend workflow on the time-skipping test server, with a mocked resendMatching activity:
 * its retry schedule (1 s doubling up to 1 min) runs in full, but in skipped time.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { bulkResendWorkflow } from '../../workflows/bulk-resend';
import type { BulkResendFilter, BulkResendResult } from '../../workflows/shared';
import { useTimeSkipping } from '../helpers/time-skipping';

const { env, runWorker } = useTimeSkipping();

const FILTER: BulkResendFilter = { status: 'failed', webhookId: 'wh_test', notAfter: '2026-11-30T12:00:00.000Z' };
const RESULT: BulkResendResult = { matched: 3, resent: 2, skipped: 1 };

let seq = 0;
const workflowId = () => `bulk-resend-test-${Date.now()}-${seq++}`;

test('a resendMatching that keeps failing is retried on the 1 s → 1 min backoff, in skipped time, until it succeeds', async () => {
  const attempts: Array<{ attempt: number; filter: BulkResendFilter }> = [];
  const FAILURES = 8;
  const result = await runWorker(
    {
      async resendMatching(filter) {
        const { attempt } = Context.current().info;
        attempts.push({ attempt, filter });
        // A retryable infrastructure failure, as when MongoDB is unreachable.
        if (attempt <= FAILURES) throw ApplicationFailure.retryable('connection refused', 'MongoNetworkError');
        return RESULT;
      },
    },
    async (taskQueue) => {
      const startedMs = await env.currentTimeMs();
      const realStart = Date.now();
      const handle = await env.client.workflow.start(bulkResendWorkflow, { taskQueue, workflowId: workflowId(), args: [FILTER] });
      const out = await handle.result();
      const realMs = Date.now() - realStart;
      const events = (await handle.fetchHistory()).events ?? [];
      const runMs = eventTimeMs(events.at(-1)) - eventTimeMs(events[0]);
      return { out, runMs, realMs, advancedMs: (await env.currentTimeMs()) - startedMs };
    },
  );

  expect(result.out).toEqual(RESULT);
  expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(attempts.every((a) => JSON.stringify(a.filter) === JSON.stringify(FILTER))).toBe(true);
  // On the server's clock the run took the workflow's whole retry policy: 1, 2, 4, 8, 16, 32 s, then
  // capped at 1 min twice = 183 s (uncapped it would be 255 s). The test did not wait for them.
  expect(result.runMs).toBeGreaterThanOrEqual(183_000);
  expect(result.runMs).toBeLessThan(200_000);
  expect(result.realMs).toBeLessThan(result.runMs);
  // (After the run the server may skip further, to timers that no longer matter: at least as far.)
  expect(result.advancedMs).toBeGreaterThanOrEqual(183_000);
});

test('a retry after a failed attempt resumes from the heartbeat the failed attempt left', async () => {
  const seen: unknown[] = [];
  const result = await runWorker(
    {
      async resendMatching() {
        const ctx = Context.current();
        seen.push(ctx.info.heartbeatDetails);
        if (ctx.info.attempt === 1) {
          ctx.heartbeat({ after: 'ntf_2', resent: 2, skipped: 0 });
          throw ApplicationFailure.retryable('connection reset', 'MongoNetworkError');
        }
        const from = ctx.info.heartbeatDetails as { resent: number; skipped: number };
        return { matched: from.resent + from.skipped + 1, resent: from.resent + 1, skipped: from.skipped };
      },
    },
    (taskQueue) => env.client.workflow.execute(bulkResendWorkflow, { taskQueue, workflowId: workflowId(), args: [FILTER] }),
  );
  expect(seen).toEqual([undefined, { after: 'ntf_2', resent: 2, skipped: 0 }]);
  expect(result).toEqual({ matched: 3, resent: 3, skipped: 0 });
});

test('a non-retryable failure of resendMatching fails the workflow at once, with its type', async () => {
  let calls = 0;
  const err = await runWorker(
    {
      async resendMatching() {
        calls++;
        throw ApplicationFailure.nonRetryable('filter refused', 'BadFilter');
      },
    },
    (taskQueue) => env.client.workflow.execute(bulkResendWorkflow, { taskQueue, workflowId: workflowId(), args: [FILTER] }).catch((e: unknown) => e),
  );
  expect(calls).toBe(1);
  // Matched by name and type: instanceof can fail across Jest's realms.
  expect((err as Error).name).toBe(WorkflowFailedError.name);
  const cause = (err as WorkflowFailedError).cause as Error & { cause?: Error & { type?: string } };
  expect(cause.name).toBe('ActivityFailure');
  expect(cause.cause).toMatchObject({ name: 'ApplicationFailure', type: 'BadFilter', message: 'filter refused' });
});

function eventTimeMs(event: { eventTime?: { seconds?: unknown; nanos?: number | null } | null } | undefined): number {
  return Number(event?.eventTime?.seconds ?? 0) * 1000 + Math.floor((event?.eventTime?.nanos ?? 0) / 1e6);
}
