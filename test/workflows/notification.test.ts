/**
 * The notification workflow on Temporal's time-skipping test server, with mocked activities: the
 * first attempt in a local activity, the round's timer and retries, resends during a backoff and
 * after the round, stop mid-retry, late reports, and the resend window. Backoffs of hours and a
 * window of days pass in milliseconds.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { useTimeSkipping, type Activities } from '../helpers/time-skipping';
import type {
  AttemptOutcome,
  AttemptSummary,
  DeliverInput,
  DeliverResult,
  FirstAttemptInput,
  FirstAttemptResult,
  NotificationState,
  PrepareResult,
  StopArgs,
} from '../../workflows/shared';

const { env, runWorker } = useTimeSkipping();

const HOUR = 3600;
const WINDOW = 7 * 24 * HOUR;
const RETRY = { maxAttempts: 5, initialIntervalSeconds: 10, backoffCoefficient: 2, maxIntervalSeconds: 7200 };

function prep(overrides: Partial<PrepareResult> = {}): PrepareResult {
  return { status: 'pending', webhookId: 'wh_1', eventType: 'loan.disbursed', method: 'POST', host: 'example.com', retry: RETRY, timeoutSeconds: 15, resendWindowSeconds: WINDOW, ...overrides };
}

function attempt(number: number, ok: boolean, trigger: 'automatic' | 'manual' = 'automatic'): AttemptSummary {
  return { number, trigger, ok, statusCode: ok ? 200 : 503, errorKind: ok ? undefined : 'http_status', finishedAt: new Date().toISOString() };
}

function firstOutcome(ok: boolean, nextDelaySeconds: number | null = ok ? null : 10): AttemptOutcome {
  return { kind: 'attempted', status: ok ? 'sent' : 'retrying', attempt: attempt(1, ok), final: ok, nextDelaySeconds, nextAttemptAt: null };
}

/** Mocks that record their calls (with the test server's time), answering as the test says. */
function mocks(opts: {
  first: (input: FirstAttemptInput) => FirstAttemptResult;
  deliver?: (input: DeliverInput, call: number) => DeliverResult;
}) {
  const calls = { first: [] as FirstAttemptInput[], deliver: [] as Array<{ input: DeliverInput; at: number }>, stops: [] as Array<{ reason: string }> };
  const activities: Partial<Activities> = {
    firstAttempt: async (input: FirstAttemptInput) => {
      calls.first.push(input);
      return opts.first(input);
    },
    deliver: async (input: DeliverInput) => {
      calls.deliver.push({ input, at: await env.currentTimeMs() });
      if (!opts.deliver) throw new Error('deliver was not expected');
      return opts.deliver(input, calls.deliver.length);
    },
    recordStop: async (input: { notificationId: string; reason: StopArgs['reason'] }) => {
      calls.stops.push({ reason: input.reason });
      return 'cancelled';
    },
  };
  return { calls, activities };
}

function start(taskQueue: string, id: string, args: object = {}) {
  return env.client.workflow.start('notificationWorkflow', {
    taskQueue,
    workflowId: `notification-${id}`,
    args: [{ notificationId: id, ...args }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
}

const failed = (message: string, type: string, nonRetryable = false) =>
  ApplicationFailure.create({ message, type, nonRetryable, details: [attempt(2, false)] });

test('a 2xx on the first attempt: sent, no activity task, and the execution closes when the window ends', async () => {
  const { calls, activities } = mocks({ first: () => ({ prep: prep(), outcome: firstOutcome(true) }) });
  await runWorker(activities, async (taskQueue) => {
    const handle = await start(taskQueue, 'ntf_ok');
    const startedAt = await env.currentTimeMs();
    const state = (await handle.result()) as NotificationState;
    expect(state).toMatchObject({ status: 'sent', attempts: 1, nextAttemptAt: null });
    expect(calls.first).toHaveLength(1);
    expect(calls.deliver).toHaveLength(0);
    // It stayed open for the resend window (time skipped), then completed.
    expect((await env.currentTimeMs()) - startedAt).toBeGreaterThanOrEqual(WINDOW * 1000);
  });
});

test('a failed first attempt: a timer for the first backoff, then retries on the schedule until a 2xx', async () => {
  const { calls, activities } = mocks({
    first: () => ({ prep: prep(), outcome: firstOutcome(false, 10) }),
    deliver: (_input, call) => {
      if (call < 3) throw failed('receiver answered HTTP 503', 'AttemptFailed');
      return { status: 'sent', attempt: attempt(4, true) };
    },
  });
  await runWorker(activities, async (taskQueue) => {
    const handle = await start(taskQueue, 'ntf_retry');
    const startedAt = await env.currentTimeMs();
    // Awaiting the result lets the test server skip time through the backoffs and the window.
    const state = (await handle.result()) as NotificationState;
    expect(state).toMatchObject({ status: 'sent', attempts: 4 });
    const at = calls.deliver.map((c) => Math.round((c.at - startedAt) / 1000));
    // Attempt 2 after 10 s (the timer), 3 after 20 s more, 4 after 40 s more (Temporal's retry policy).
    expect(at[0]).toBeGreaterThanOrEqual(10);
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(20);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(40);
    expect(new Set(calls.deliver.map((c) => c.input.idempotencyKey)).size).toBe(1);
    expect(calls.deliver[0].input.idempotencyKey).toBe(calls.first[0].idempotencyKey);
  });
});

test('attempts exhausted: failed, and no automatic attempt after that', async () => {
  const { calls, activities } = mocks({
    first: () => ({ prep: prep(), outcome: firstOutcome(false, 10) }),
    deliver: () => {
      throw failed('receiver answered HTTP 503; 2 of 2 attempts used', 'AttemptsExhausted', true);
    },
  });
  await runWorker(activities, async (taskQueue) => {
    const handle = await start(taskQueue, 'ntf_exhausted');
    const state = (await handle.result()) as NotificationState;
    expect(state).toMatchObject({ status: 'failed', attempts: 2, nextAttemptAt: null });
    expect(calls.deliver).toHaveLength(1);
  });
});

test('a resend during a long backoff is immediate, and its success ends the round', async () => {
  const { calls, activities } = mocks({
    first: () => ({ prep: prep(), outcome: firstOutcome(false, HOUR) }),
    deliver: (input) => ({ status: 'sent', attempt: attempt(2, true, input.trigger) }),
  });
  await runWorker(activities, async (taskQueue) => {
    const handle = await start(taskQueue, 'ntf_resend');
    await waitFor(async () => (await handle.query<NotificationState>('status')).status === 'retrying');
    const signalledAt = await env.currentTimeMs();
    await handle.signal('resend', { reason: 'receiver fixed' });
    const state = (await handle.result()) as NotificationState;
    expect(state).toMatchObject({ status: 'sent', manualResends: 1 });
    // Only the manual attempt ran, right away: the automatic one an hour later never did.
    expect(calls.deliver.map((c) => c.input.trigger)).toEqual(['manual']);
    expect(calls.deliver[0].at - signalledAt).toBeLessThan(HOUR * 1000);
    expect(calls.deliver[0].input.idempotencyKey).not.toBe(calls.first[0].idempotencyKey);
  });
});

test('stop mid-retry: recordStop runs, the status is cancelled, and no automatic attempt follows', async () => {
  const { calls, activities } = mocks({
    first: () => ({ prep: prep(), outcome: firstOutcome(false, HOUR) }),
    deliver: () => {
      throw new Error('no automatic attempt may run after a stop');
    },
  });
  await runWorker(activities, async (taskQueue) => {
    const handle = await start(taskQueue, 'ntf_stop');
    await waitFor(async () => (await handle.query<NotificationState>('status')).status === 'retrying');
    await handle.signal('stop', { reason: 'webhook_deleted' });
    const state = (await handle.result()) as NotificationState;
    expect(state).toMatchObject({ status: 'cancelled', nextAttemptAt: null });
    expect(calls.stops).toEqual([{ reason: 'webhook_deleted' }]);
    expect(calls.deliver).toHaveLength(0);
  });
});

test('a first attempt stopped by the activity (webhook disabled) is cancelled with no round', async () => {
  const { calls, activities } = mocks({ first: () => ({ prep: prep(), outcome: { kind: 'stopped', reason: 'webhook_disabled' } }) });
  await runWorker(activities, async (taskQueue) => {
    const state = (await (await start(taskQueue, 'ntf_disabled')).result()) as NotificationState;
    expect(state.status).toBe('cancelled');
    expect(calls.deliver).toHaveLength(0);
  });
});

test('a first attempt held by an open circuit: no attempt used, a timer to the time it allows, then held retries until it goes', async () => {
  const until = new Date(Date.now() + 600_000).toISOString();
  const { calls, activities } = mocks({
    first: () => ({ prep: prep(), outcome: { kind: 'held', reason: 'circuit_open', until, waitSeconds: 600 } }),
    deliver: (_input, call) => {
      // Still held once more (Temporal retries at the time given), then the attempt goes and succeeds.
      if (call === 1) throw ApplicationFailure.create({ message: 'held: circuit open', type: 'DeliveryHeld', nextRetryDelay: 300_000 });
      return { status: 'sent', attempt: attempt(1, true) };
    },
  });
  await runWorker(activities, async (taskQueue) => {
    const handle = await start(taskQueue, 'ntf_held');
    const startedAt = await env.currentTimeMs();
    await waitFor(async () => (await handle.query<NotificationState>('status')).heldReason !== undefined);
    expect(await handle.query<NotificationState>('status')).toMatchObject({ status: 'pending', attempts: 0, heldReason: 'circuit_open', nextAttemptAt: until });
    const state = (await handle.result()) as NotificationState;
    expect(state).toMatchObject({ status: 'sent', attempts: 1 });
    expect(state.heldReason).toBeUndefined();
    const at = calls.deliver.map((c) => Math.round((c.at - startedAt) / 1000));
    expect(at[0]).toBeGreaterThanOrEqual(600);
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(300);
    // The held first attempt's idempotency key is the round's: the attempt that finally goes uses it.
    expect(calls.deliver.map((c) => c.input.idempotencyKey)).toEqual([calls.first[0].idempotencyKey, calls.first[0].idempotencyKey]);
  });
});

test('a late attempt report after the round ended does not change the outcome', async () => {
  const { activities } = mocks({ first: () => ({ prep: prep(), outcome: firstOutcome(true) }) });
  await runWorker(activities, async (taskQueue) => {
    const handle = await start(taskQueue, 'ntf_late');
    await waitFor(async () => (await handle.query<NotificationState>('status')).status === 'sent');
    await handle.signal('attemptRecorded', { status: 'retrying', attempt: attempt(2, false), nextAttemptAt: new Date().toISOString() });
    const state = (await handle.result()) as NotificationState;
    expect(state).toMatchObject({ status: 'sent', attempts: 1, nextAttemptAt: null });
  });
});

test('after the round, a plain resend signal within the window sends again (failed → sent)', async () => {
  const { calls, activities } = mocks({
    first: () => ({ prep: prep({ retry: { ...RETRY, maxAttempts: 1 } }), outcome: { ...firstOutcome(false, null), status: 'failed', final: true } }),
    deliver: (input) => ({ status: 'sent', attempt: attempt(2, true, input.trigger) }),
  });
  await runWorker(activities, async (taskQueue) => {
    const handle = await start(taskQueue, 'ntf_window');
    await waitFor(async () => (await handle.query<NotificationState>('status')).status === 'failed');
    await env.sleep(3 * 24 * HOUR * 1000);
    await handle.signal('resend');
    const state = (await handle.result()) as NotificationState;
    expect(state).toMatchObject({ status: 'sent', manualResends: 1 });
    expect(calls.deliver.map((c) => c.input.trigger)).toEqual(['manual']);
  });
});

test('a resend-only run (after the window) loads the notification without an attempt and serves the resend', async () => {
  const { calls, activities } = mocks({
    first: (input) => ({ prep: prep({ status: 'failed' }), outcome: input.noAttempt ? null : firstOutcome(true) }),
    deliver: (input) => ({ status: 'sent', attempt: attempt(2, true, input.trigger) }),
  });
  await runWorker(activities, async (taskQueue) => {
    const handle = await env.client.workflow.signalWithStart('notificationWorkflow', {
      taskQueue,
      workflowId: 'notification-ntf_resend_only',
      args: [{ notificationId: 'ntf_resend_only', resendOnly: true }],
      signal: 'resend',
      signalArgs: [{}],
    });
    const state = (await handle.result()) as NotificationState;
    expect(state).toMatchObject({ status: 'sent', manualResends: 1 });
    expect(calls.first[0].noAttempt).toBe(true);
    expect(calls.deliver.map((c) => c.input.trigger)).toEqual(['manual']);
  });
});

/** Awaits a condition on the mocks or the workflow (the test server's time keeps moving meanwhile). */
async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
