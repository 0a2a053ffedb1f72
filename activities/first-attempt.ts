/**
 * firstAttempt: the whole happy path of a notification in one local activity, run inside the
 * workflow's first task: load the notification (its snapshot was rendered at fan-out), then make
 * the first automatic attempt and record it. A 2xx here means the workflow completes its delivery
 * with one workflow task, one marker and no activity task: the server does a fraction of the work
 * of a scheduled activity (Temporal's guidance for short, idempotent steps). Failed attempts are
 * retried by the regular `deliver` activity under Temporal's retry policy.
 *
 * Local activities are retried by the SDK while the workflow task is held; only infrastructure
 * errors (MongoDB down) are thrown here, receiver failures are data in the outcome.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from './index';
import type { FirstAttemptInput, FirstAttemptResult, RecordStopInput } from '../workflows/shared';
import { isRoundOpen, type DeliveryStatus } from '../workflows/status';
import { makeAttempt, recordStop } from './attempt';
import { ATTEMPT_PROJECTION, type LoadedNotification } from '../src/models/notification';
import { ensureSnapshot, prepareResult } from './prepare';
import { currentAccountId } from '../src/accounts/scope';

export function createFirstAttemptActivity(deps: ActivityDeps) {
  return async function firstAttempt(input: FirstAttemptInput): Promise<FirstAttemptResult> {
    // Stored by this process's fan-out a moment ago: handed over instead of read back (src/delivery/handoff.ts).
    const handedOver = deps.handoff?.take(currentAccountId(), input.notificationId);
    const [notification, config] = await Promise.all([
      handedOver ?? deps.models.Notification.findById(input.notificationId, ATTEMPT_PROJECTION).lean<LoadedNotification>(),
      deps.configCache.recent(),
    ]);
    if (!notification) throw ApplicationFailure.nonRetryable(`notification ${input.notificationId} does not exist`, 'NotificationGone');
    const webhook = config.byId.get(notification.webhookId);
    if (!webhook) throw ApplicationFailure.nonRetryable(`webhook ${notification.webhookId} does not exist`, 'NotificationGone');
    // Failed at fan-out (render error, oversize): nothing to send; the workflow reports it.
    if (!notification.request && notification.status === 'failed') {
      return { prep: prepareResult(notification, webhook, null, deps.resendWindowSeconds), outcome: null };
    }
    const request = await ensureSnapshot(deps, notification, webhook);
    const prep = prepareResult(notification, webhook, request, deps.resendWindowSeconds);
    if (input.noAttempt || !isRoundOpen(notification.status as DeliveryStatus)) return { prep, outcome: null };

    const { outcome } = await makeAttempt(
      deps,
      { notificationId: input.notificationId, trigger: 'automatic', idempotencyKey: input.idempotencyKey, retry: prep.retry },
      { notification, webhook, config },
    );
    if (outcome.kind === 'stopped') await recordStop(deps, input.notificationId, outcome.reason);
    return { prep, outcome };
  };
}

/** recordStop: the workflow received `stop`; mark the notification cancelled (if its round was open). */
export function createRecordStopActivity(deps: ActivityDeps) {
  return async function recordStopActivity(input: RecordStopInput): Promise<DeliveryStatus> {
    return recordStop(deps, input.notificationId, input.reason);
  };
}
