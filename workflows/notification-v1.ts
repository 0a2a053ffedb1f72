/**
 * The notification workflow as it ran before the first-attempt path (histories recorded before
 * the `first-attempt` patch): prepare as a local activity, then every automatic attempt as the
 * deliver activity, closing when the round ends. Executions that started on that code replay
 * through this function, unchanged, so they keep working after an upgrade (see
 * test/integration/workflow-replay.test.ts). New executions take workflows/notification.ts's path.
 *
 * Do not change what this function does: a different command sequence breaks those executions.
 */
import { CancellationScope, condition, isCancellation, proxyActivities, proxyLocalActivities, setCurrentDetails, setHandler, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  attemptRecordedSignal,
  HeraldEventType,
  HeraldWebhookId,
  resendSignal,
  statusQuery,
  type NotificationState,
  type NotificationWorkflowInput,
  type PrepareResult,
  type ResendArgs,
} from './shared';
import { deliverActivityOptions, describe, failureSummary, finalDeliveryFailure, finish, isFinalDeliveryFailure, newState, noteAttempt, setStatus } from './notification-state';

type Activities = ReturnType<typeof createActivities>;

const { prepare } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  summary: 'prepare: render and store the request snapshot',
});

export async function legacyNotificationWorkflow(input: NotificationWorkflowInput): Promise<NotificationState> {
  const { notificationId } = input;
  const resends: ResendArgs[] = [];
  const state: NotificationState = newState(notificationId);
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

  const deliverOptions = deliverActivityOptions(prep, { firstRetryAfterSchedule: false });
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
            const failure = finalDeliveryFailure(err);
            if (!failure) throw err;
            const summary = failureSummary(err);
            if (summary) noteAttempt(state, summary);
            state.nextAttemptAt = null;
            // DeliveryStopped is new (no recorded history has it): the webhook went away mid-retry.
            if (state.status !== 'sent') setStatus(state, failure === 'DeliveryStopped' ? 'cancelled' : 'failed');
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
