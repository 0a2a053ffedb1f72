/**
 * One workflow per notification, id `notification-<id>`, open for the resend window.
 *
 * 1. firstAttempt (a local activity, in the first workflow task): the snapshot was rendered and
 *    stored at fan-out; this sends it once and records the attempt. On a 2xx the delivery is done
 *    in one workflow task.
 * 2. Otherwise the automatic round: a timer for the first backoff, then the deliver activity under a
 *    Temporal retry policy built from the webhook's schedule (exponential, Retry-After through
 *    nextRetryDelay), until a 2xx or the attempts run out.
 * 3. Then the execution stays open until the resend window ends, serving the `resend` signal from
 *    any Temporal client (API, `herald resend`, `temporal workflow signal`, the Web UI). One
 *    execution per notification, so `HeraldStatus` is always the notification's one status.
 *
 * An automatic attempt the webhook's circuit breaker or limits hold (src/flow-control) sends nothing
 * and uses no attempt: the first one waits on a timer, later ones in Temporal's activity retry.
 *
 * `resend` makes an immediate manual attempt with a new idempotency key, also while the round
 * waits out a backoff (a manual success ends the round). `stop` (webhook deleted or disabled,
 * communications off) ends the round: the notification is `cancelled`, no further automatic
 * attempt; a later manual resend still works.
 *
 * Executions started before this path (no `first-attempt` patch marker in their history) run the
 * previous code, kept in notification-v1.ts. Deterministic code only; only IDs and small summaries
 * enter history.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  attemptRecordedSignal,
  resendSignal,
  statusQuery,
  stopSignal,
  type FirstAttemptResult,
  type NotificationState,
  type NotificationWorkflowInput,
  type ResendArgs,
  type StopReason,
} from './shared';
import { isRoundOpen } from './status';
import { legacyNotificationWorkflow } from './notification-v1';
import { deliverActivityOptions, describe, failureSummary, finalDeliveryFailure, finish, newState, noteAttempt, setStatus } from './notification-state';

type Activities = ReturnType<typeof createActivities>;

export const FIRST_ATTEMPT_PATCH = 'first-attempt';

// Covers the longest HTTP timeout a webhook may have (60 s) plus MongoDB. Infrastructure failures
// (MongoDB unreachable) are retried without limit: giving up would lose an accepted notification.
const { firstAttempt, recordStop } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '90 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  summary: 'first attempt: send the stored snapshot',
});

export async function notificationWorkflow(input: NotificationWorkflowInput): Promise<NotificationState> {
  if (!patched(FIRST_ATTEMPT_PATCH)) return legacyNotificationWorkflow(input);

  const { notificationId, accountId } = input;
  const resends: ResendArgs[] = [];
  const state = newState(notificationId);
  let stopRequested: StopReason | null = null;
  // True while the automatic round is running or waiting to retry.
  let roundOpen = false;
  const round = new CancellationScope();

  setHandler(resendSignal, (args) => {
    resends.push(args ?? {});
  });
  setHandler(stopSignal, (args) => {
    stopRequested ??= args?.reason ?? 'webhook_disabled';
    if (roundOpen) round.cancel();
  });
  setHandler(statusQuery, () => state);
  setHandler(attemptRecordedSignal, (report) => {
    // A late report (after a manual success, or after the round ended) must not undo the outcome.
    if (!roundOpen || (state.status === 'sent' && report.status !== 'sent')) return;
    noteAttempt(state, report.attempt);
    state.nextAttemptAt = report.nextAttemptAt;
    state.heldReason = undefined;
    setStatus(state, report.status);
  });

  const idempotencyKey = uuid4();
  let first: FirstAttemptResult;
  try {
    first = await firstAttempt({ notificationId, accountId, idempotencyKey, noAttempt: input.resendOnly });
  } catch (err) {
    // A deleted notification or webhook, or a render failure: final at once, nothing to send, ever.
    if (!finalDeliveryFailure(err, { localToo: true })) throw err;
    state.nextAttemptAt = null;
    setStatus(state, 'failed');
    return state;
  }
  const { prep, outcome } = first;
  if (!outcome) {
    setStatus(state, prep.status);
  } else if (outcome.kind === 'stopped') {
    setStatus(state, 'cancelled');
  } else if (outcome.kind === 'held') {
    // The webhook's circuit is open or a limit is reached: nothing was sent, the round waits.
    state.nextAttemptAt = outcome.until;
    state.heldReason = outcome.reason;
    setStatus(state, prep.status);
  } else {
    noteAttempt(state, outcome.attempt);
    state.nextAttemptAt = outcome.nextAttemptAt;
    setStatus(state, outcome.status);
  }

  const deliverOptions = deliverActivityOptions(prep, { firstRetryAfterSchedule: true });
  // Waiting for a cancelled attempt to finish means a stop never races an attempt still in flight:
  // recordStop then sees that attempt's outcome (a 2xx that landed is `sent`, not `cancelled`).
  const { deliver } = proxyActivities<Activities>({ ...deliverOptions.automatic, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });
  const { deliver: deliverManual } = proxyActivities<Activities>(deliverOptions.manual);

  roundOpen = ((outcome?.kind === 'attempted' && !outcome.final) || outcome?.kind === 'held') && stopRequested === null;
  const firstWaitMs = outcome?.kind === 'held' ? outcome.waitSeconds * 1000 : outcome?.kind === 'attempted' ? (outcome.nextDelaySeconds ?? 0) * 1000 : 0;
  const roundDone = roundOpen
    ? round
        .run(async () => {
          await sleep(firstWaitMs);
          return deliver({ notificationId, accountId, trigger: 'automatic', idempotencyKey, retry: prep.retry });
        })
        .then(
          (result) => finish(state, result, false),
          (err) => {
            if (isCancellation(err)) return;
            const failure = finalDeliveryFailure(err);
            if (!failure) throw err;
            const summary = failureSummary(err);
            if (summary) noteAttempt(state, summary);
            state.nextAttemptAt = null;
            if (state.status !== 'sent') setStatus(state, failure === 'DeliveryStopped' ? 'cancelled' : 'failed');
          },
        )
        .finally(() => {
          roundOpen = false;
        })
    : Promise.resolve();

  const windowEnds = input.windowEndsAt ? Date.parse(input.windowEndsAt) : workflowInfo().startTime.getTime() + (prep.resendWindowSeconds ?? 0) * 1000;
  for (;;) {
    await condition(() => resends.length > 0 || !roundOpen);
    // A stop that arrived during the first attempt, or ended the round's wait.
    if (stopRequested && !roundOpen && isRoundOpen(state.status)) {
      state.nextAttemptAt = null;
      setStatus(state, await recordStop({ notificationId, accountId, reason: stopRequested }));
    }
    const next = resends.shift();
    if (!next) {
      await roundDone;
      if (resends.length > 0) continue;
      // The round is over: stay open for resends until the window ends.
      const remaining = windowEnds - Date.now();
      if (remaining <= 0) break;
      if (workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof notificationWorkflow>({ notificationId, accountId, resendOnly: true, windowEndsAt: new Date(windowEnds).toISOString() });
      }
      setCurrentDetails(describe(state, prep));
      if (!(await condition(() => resends.length > 0, remaining))) break;
      continue;
    }
    state.manualResends++;
    try {
      const result = await deliverManual({ notificationId, accountId, trigger: 'manual', idempotencyKey: uuid4(), retry: prep.retry, roundOpen });
      finish(state, result, roundOpen);
      if (result.status === 'sent' && roundOpen) round.cancel();
    } catch (err) {
      // Nothing to send (no snapshot) or a blocked destination: the attempt, if any, is recorded.
      if (!finalDeliveryFailure(err)) throw err;
    }
  }
  setCurrentDetails(describe(state, prep));
  return state;
}
