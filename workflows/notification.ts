/**
 * One workflow per notification. prepare renders and stores the snapshot once; deliver sends it
 * under the webhook's retry schedule, Temporal-managed (exponential backoff, Retry-After through
 * nextRetryDelay). A `resend` signal makes an immediate manual attempt with a new idempotency
 * key, also while the automatic round is waiting out a backoff; a manual success ends that wait.
 *
 * Deterministic code only: no Node built-ins, no I/O, no imports from src/ or activities/ except
 * types. Only IDs and small summaries enter history.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  attemptRecordedSignal,
  HeraldEventType,
  HeraldStatus,
  HeraldWebhookId,
  NON_RETRYABLE_ERRORS,
  resendSignal,
  statusQuery,
  type AttemptSummary,
  type DeliverResult,
  type DeliveryStatus,
  type NotificationState,
  type NotificationWorkflowInput,
  type PrepareResult,
  type ResendArgs,
} from './shared';

type Activities = ReturnType<typeof createActivities>;

// prepare is a local activity: a few MongoDB reads and one write, run inside the workflow task.
// That saves the server an activity task and a workflow task per notification (the embedded
// Temporal server is the busiest process under load). Infrastructure failures (MongoDB
// unreachable) are retried without limit: they are not delivery attempts, and giving up on them
// would lose an accepted notification.
const { prepare } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  summary: 'prepare: render and store the request snapshot',
});

export async function notificationWorkflow(input: NotificationWorkflowInput): Promise<NotificationState> {
  const { notificationId } = input;
  const resends: ResendArgs[] = [];
  const state: NotificationState = {
    notificationId,
    status: 'pending',
    attempts: 0,
    lastAttempt: null,
    nextAttemptAt: null,
    manualResends: 0,
  };
  // True while the automatic round is running or waiting to retry.
  let roundOpen = false;

  setHandler(resendSignal, (args) => {
    resends.push(args ?? {});
  });
  setHandler(statusQuery, () => state);
  setHandler(attemptRecordedSignal, (report) => {
    // A late report (after a manual success, or after the round ended) must not undo the outcome.
    if (!roundOpen || (state.status === 'sent' && report.status !== 'sent')) return;
    noteAttempt(state, report.attempt);
    state.nextAttemptAt = report.nextAttemptAt;
    setStatus(state, report.status);
  });

  let prep: PrepareResult;
  try {
    prep = await prepare(notificationId);
  } catch (err) {
    // A render failure (or a deleted notification) is final at once: nothing to send, ever.
    if (!isFinalDeliveryFailure(err)) throw err;
    state.nextAttemptAt = null;
    setStatus(state, 'failed');
    return state;
  }
  // Usually set at start already; every upsert is a visibility write on the server, so only when missing.
  const attrs = workflowInfo().typedSearchAttributes;
  if (attrs.get(HeraldWebhookId) !== prep.webhookId || attrs.get(HeraldEventType) !== prep.eventType) {
    upsertSearchAttributes([
      { key: HeraldWebhookId, value: prep.webhookId },
      { key: HeraldEventType, value: prep.eventType },
    ]);
  }
  setStatus(state, input.resendOnly ? prep.status : 'pending');

  const deliverOptions = deliverActivityOptions(prep);
  const { deliver } = proxyActivities<Activities>(deliverOptions.automatic);
  const { deliver: deliverManual } = proxyActivities<Activities>(deliverOptions.manual);

  // The automatic round runs in its own scope so a manual success can end its backoff wait.
  roundOpen = !input.resendOnly && prep.status !== 'sent' && prep.status !== 'failed';
  const round = new CancellationScope();
  const roundDone = roundOpen
    ? round
        .run(() => deliver({ notificationId, trigger: 'automatic', idempotencyKey: uuid4(), retry: prep.retry }))
        .then(
          (result) => finish(state, result, false),
          (err) => {
            if (isCancellation(err)) return;
            if (!isFinalDeliveryFailure(err)) throw err;
            const summary = failureSummary(err);
            if (summary) noteAttempt(state, summary);
            state.nextAttemptAt = null;
            if (state.status !== 'sent') setStatus(state, 'failed');
          },
        )
        .finally(() => {
          roundOpen = false;
        })
    : Promise.resolve();

  // Serve resends until the automatic round is over and no resend is waiting. The check after
  // `roundDone` catches a resend that arrived in the same activation as the round's end.
  for (;;) {
    await condition(() => resends.length > 0 || !roundOpen);
    const next = resends.shift();
    if (!next) {
      await roundDone;
      if (resends.length === 0) break;
      continue;
    }
    state.manualResends++;
    try {
      const result = await deliverManual({
        notificationId,
        trigger: 'manual',
        idempotencyKey: uuid4(),
        retry: prep.retry,
        roundOpen,
      });
      finish(state, result, roundOpen);
      if (result.status === 'sent' && roundOpen) round.cancel();
    } catch (err) {
      // Nothing to send (no snapshot) or a blocked destination: the attempt, if any, is recorded.
      if (!isFinalDeliveryFailure(err)) throw err;
    }
  }
  setCurrentDetails(describe(state, prep));
  return state;
}

function deliverActivityOptions(prep: PrepareResult) {
  const r = prep.retry;
  // Just above the HTTP timeout (which covers the whole request): a worker killed mid-attempt is
  // noticed, and the attempt retried, a few seconds after the request would have timed out anyway.
  const startToCloseTimeout = (prep.timeoutSeconds + 5) * 1000;
  const summary = `${prep.method} ${prep.host} (${prep.eventType})`;
  return {
    automatic: {
      startToCloseTimeout,
      summary: `deliver: ${summary}`,
      retry: {
        initialInterval: r.initialIntervalSeconds * 1000,
        backoffCoefficient: r.backoffCoefficient,
        maximumInterval: r.maxIntervalSeconds * 1000,
        // The activity counts delivery attempts itself (in MongoDB) and stops with a
        // non-retryable AttemptsExhausted after maxAttempts, so Temporal's own limit stays unset: its count would also
        // include infrastructure failures, which are not delivery attempts.
        nonRetryableErrorTypes: [...NON_RETRYABLE_ERRORS],
      },
    },
    manual: {
      startToCloseTimeout,
      summary: `resend: ${summary}`,
      // A manual resend is one delivery attempt: the activity reports a failed attempt as a
      // result, so only infrastructure failures are retried here.
      retry: { initialInterval: 1000, maximumInterval: 30_000, backoffCoefficient: 2 },
    },
  };
}

function finish(state: NotificationState, result: DeliverResult, roundStillOpen: boolean): void {
  noteAttempt(state, result.attempt);
  // A failed manual attempt while the round waits keeps the round's next attempt time.
  if (!roundStillOpen || result.status === 'sent') state.nextAttemptAt = null;
  // After a success nothing downgrades the status (a failed manual resend of a sent one stays sent
  // in the UI summary, while MongoDB keeps every attempt).
  if (state.status !== 'sent' || result.status === 'sent') setStatus(state, result.status);
}

function noteAttempt(state: NotificationState, attempt: AttemptSummary): void {
  if (!state.lastAttempt || attempt.number >= state.lastAttempt.number) state.lastAttempt = attempt;
  state.attempts = Math.max(state.attempts, attempt.number);
}

function setStatus(state: NotificationState, status: DeliveryStatus): void {
  state.status = status;
  if (workflowInfo().typedSearchAttributes.get(HeraldStatus) !== status) upsertSearchAttributes([{ key: HeraldStatus, value: status }]);
  setCurrentDetails(describeState(state));
}

function describeState(state: NotificationState): string {
  const last = state.lastAttempt;
  const lines = [`**Status:** ${state.status}`, `**Attempts:** ${state.attempts}`];
  if (last) {
    const outcome = last.ok ? `HTTP ${last.statusCode}` : last.statusCode ? `HTTP ${last.statusCode}` : (last.errorKind ?? 'error');
    lines.push(`**Last attempt:** #${last.number} (${last.trigger}) ${last.ok ? 'succeeded' : 'failed'}: ${outcome} at ${last.finishedAt}`);
  }
  if (state.nextAttemptAt) lines.push(`**Next attempt:** ${state.nextAttemptAt}`);
  return lines.join('\n\n');
}

function describe(state: NotificationState, prep: PrepareResult): string {
  return `${describeState(state)}\n\n**Webhook:** ${prep.webhookId} · ${prep.method} ${prep.host} · run ${workflowInfo().runId}`;
}

/** The attempt summary a final failure carries in its details, if any. */
function failureSummary(err: unknown): AttemptSummary | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const first = cause.details?.[0] as AttemptSummary | undefined;
  return first && typeof first.number === 'number' ? first : undefined;
}

/** The round failed for good: attempts exhausted or a non-retryable delivery error. */
function isFinalDeliveryFailure(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  return cause instanceof ApplicationFailure && (NON_RETRYABLE_ERRORS as readonly string[]).includes(cause.type ?? '');
}
