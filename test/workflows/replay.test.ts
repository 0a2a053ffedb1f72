/**
 * The replay workflow on Temporal's time-skipping test server, with its activity mocked: the
 * filter reaches the activity as given, the result comes back, a failed attempt resumes from its
 * last heartbeat, and a long outage is retried (backoff capped at a minute, skipped here) until it
 * works.
 */
import { Context } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import { useTimeSkipping } from '../helpers/time-skipping';
import { REPLAY_WORKFLOW, replayWorkflowId, type ReplayFilter, type ReplayResult } from '../../workflows/shared';
import type { ReplayProgress } from '../../src/replay';

const { env, runWorker } = useTimeSkipping();

function runReplay(filter: ReplayFilter, replayEvents: (f: ReplayFilter) => Promise<ReplayResult>) {
  return runWorker({ replayEvents }, async (taskQueue) => {
    const handle = await env.client.workflow.start(REPLAY_WORKFLOW, { taskQueue, workflowId: replayWorkflowId(`job_${randomBytes(6).toString('hex')}`), args: [filter] });
    return { result: (await handle.result()) as ReplayResult, history: await handle.fetchHistory() };
  });
}

const filter: ReplayFilter = { type: 'loan.disbursed', matched: false, since: '2026-01-01T00:00:00.000Z', notAfter: '2026-11-30T12:00:00.000Z' };

test('passes the filter to the activity and returns its counts', async () => {
  const seen: ReplayFilter[] = [];
  const { result } = await runReplay(filter, async (f) => {
    seen.push(f);
    return { events: 3, created: 2, eventsWithNew: 2 };
  });
  expect(seen).toEqual([filter]);
  expect(result).toEqual({ events: 3, created: 2, eventsWithNew: 2 });
});

test('a failed attempt is retried, and the retry resumes from the last heartbeat instead of starting over', async () => {
  const attempts: Array<{ attempt: number; resumedFrom: ReplayProgress | undefined }> = [];
  const { result } = await runReplay(filter, async () => {
    const ctx = Context.current();
    const resumedFrom = ctx.info.heartbeatDetails as ReplayProgress | undefined;
    attempts.push({ attempt: ctx.info.attempt, resumedFrom });
    if (ctx.info.attempt === 1) {
      // Two events done, then the attempt dies (Temporal unreachable while starting workflows).
      ctx.heartbeat({ position: { createdAt: '2026-02-01T00:00:00.000Z', id: 'evt_2' }, events: 2, created: 1, eventsWithNew: 1 } satisfies ReplayProgress);
      throw new Error('could not start the workflows of event evt_3');
    }
    const from = resumedFrom!;
    return { events: from.events + 1, created: from.created + 1, eventsWithNew: from.eventsWithNew + 1 };
  });
  expect(attempts).toEqual([
    { attempt: 1, resumedFrom: undefined },
    { attempt: 2, resumedFrom: { position: { createdAt: '2026-02-01T00:00:00.000Z', id: 'evt_2' }, events: 2, created: 1, eventsWithNew: 1 } },
  ]);
  expect(result).toEqual({ events: 3, created: 2, eventsWithNew: 2 });
});

test('an outage longer than the backoff schedule does not fail the job: it keeps retrying (up to a minute apart) until it works', async () => {
  const times: number[] = [];
  const started = Date.now();
  const { result, history } = await runReplay(filter, async () => {
    times.push(Context.current().info.currentAttemptScheduledTimestampMs);
    if (Context.current().info.attempt < 10) throw new Error('Temporal unreachable');
    return { events: 1, created: 1, eventsWithNew: 1 };
  });
  expect(result).toEqual({ events: 1, created: 1, eventsWithNew: 1 });
  expect(times).toHaveLength(10);
  // Minutes of server time between the first and the last attempt (a doubling backoff capped at a
  // minute: 1, 2, 4, … 60 s), skipped here in seconds of real time.
  expect((times[9] - times[0]) / 1000).toBeGreaterThanOrEqual(180);
  expect(Date.now() - started).toBeLessThan(60_000);
  expect((history.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes)).toHaveLength(1);
});
