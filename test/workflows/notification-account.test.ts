/**
 * The notification workflow carries its account to every activity (time-skipping test server,
 * mocked activities): the first attempt, automatic retries, a manual resend and a stop all get the
 * `accountId` the run was started with, and a run started without one (before accounts) passes
 * none, which the activities read as the account `default` (activities/index.ts).
 */
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { useTimeSkipping, type Activities } from '../helpers/time-skipping';
import type { AttemptSummary, NotificationState, PrepareResult } from '../../workflows/shared';

const { env, runWorker } = useTimeSkipping();

const RETRY = { maxAttempts: 5, initialIntervalSeconds: 10, backoffCoefficient: 2, maxIntervalSeconds: 7200 };
const prep: PrepareResult = { status: 'pending', webhookId: 'wh_1', eventType: 't', method: 'POST', host: 'example.com', retry: RETRY, timeoutSeconds: 15, resendWindowSeconds: 3600 };
const attempt = (number: number, ok: boolean, trigger: 'automatic' | 'manual' = 'automatic'): AttemptSummary =>
  ({ number, trigger, ok, statusCode: ok ? 200 : 503, errorKind: ok ? undefined : 'http_status', finishedAt: new Date().toISOString() });

function recording() {
  const seen: Seen = [];
  const activities: Partial<Activities> = {
    firstAttempt: async (input) => {
      seen.push(['firstAttempt', input.accountId]);
      return { prep, outcome: { kind: 'attempted', status: 'retrying', attempt: attempt(1, false), final: false, nextDelaySeconds: 10, nextAttemptAt: null } };
    },
    deliver: async (input) => {
      seen.push([`deliver:${input.trigger}`, input.accountId]);
      if (input.trigger === 'automatic') {
        throw ApplicationFailure.create({ message: 'HTTP 503', type: 'AttemptFailed', details: [attempt(2, false)] });
      }
      return { status: 'sent', attempt: attempt(3, true, input.trigger) };
    },
    recordStop: async (input) => {
      seen.push(['recordStop', input.accountId]);
      return 'cancelled';
    },
  };
  return { seen, activities };
}

type Seen = Array<[string, string | undefined]>;

async function run(args: object, drive: (handle: Awaited<ReturnType<typeof env.client.workflow.start>>, seen: Seen) => Promise<void>) {
  const { seen, activities } = recording();
  await runWorker(activities, async (taskQueue) => {
    const handle = await env.client.workflow.start('notificationWorkflow', {
      taskQueue,
      workflowId: `notification-ntf_acc_${Math.random().toString(36).slice(2)}`,
      args: [{ notificationId: 'ntf_acc', ...args }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    await drive(handle, seen);
  });
  return seen;
}

test('every activity of a run gets the accountId the run started with', async () => {
  const seen = await run({ accountId: 'acc_tenant' }, async (handle, calls) => {
    // Every automatic attempt fails; a manual resend during a backoff succeeds.
    const deadline = Date.now() + 20_000;
    while (!calls.some(([name]) => name === 'deliver:automatic') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await handle.signal('resend');
    expect(((await handle.result()) as NotificationState).status).toBe('sent');
  });
  expect(new Set(seen.map(([name]) => name))).toEqual(new Set(['firstAttempt', 'deliver:automatic', 'deliver:manual']));
  expect(new Set(seen.map(([, account]) => account))).toEqual(new Set(['acc_tenant']));
});

test('a stop reaches recordStop with the account; a run from before accounts passes none', async () => {
  const seen = await run({}, async (handle) => {
    await handle.signal('stop', { reason: 'webhook_deleted' });
    expect(((await handle.result()) as NotificationState).status).toBe('cancelled');
  });
  expect(seen).toEqual([['firstAttempt', undefined], ['recordStop', undefined]]);
});
