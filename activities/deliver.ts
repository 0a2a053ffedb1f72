/**
 * deliver: one attempt of the stored snapshot, as a (regular) Temporal activity: the automatic
 * round's retries, under the retry policy built from the webhook's schedule, and manual resends.
 * (The first automatic attempt is made by the firstAttempt local activity.)
 *
 * A remote failure is data, turned into a retryable ApplicationFailure at this boundary (with
 * Retry-After as nextRetryDelay); an infrastructure failure (MongoDB down) is simply thrown and
 * retried by Temporal without counting as a delivery attempt. A manual resend is one attempt: its
 * failure is returned, not thrown.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActivityDeps } from './index';
import {
  ATTEMPT_FAILED_ERROR,
  DELIVERY_HELD_ERROR,
  attemptRecordedSignal,
  type AttemptReport,
  type DeliverInput,
  type DeliverResult,
} from '../workflows/shared';
import { describeFailure, makeAttempt, recordStop } from './attempt';
import { ATTEMPT_PROJECTION, type LoadedNotification } from '../src/models/notification';

export { nextDelay } from './attempt';

export function createDeliverActivity(deps: ActivityDeps) {
  const { models } = deps;

  return async function deliver(input: DeliverInput): Promise<DeliverResult> {
    const ctx = Context.current();
    const [notification, config] = await Promise.all([
      models.Notification.findById(input.notificationId, ATTEMPT_PROJECTION).lean<LoadedNotification>(),
      deps.configCache.recent(),
    ]);
    if (!notification?.request) {
      throw ApplicationFailure.nonRetryable(`notification ${input.notificationId} has no snapshot`, 'NotificationGone');
    }
    const webhook = config.byId.get(notification.webhookId);
    if (!webhook && input.trigger === 'manual') throw ApplicationFailure.nonRetryable(`webhook ${notification.webhookId} does not exist`, 'NotificationGone');

    const { outcome, result, roundAttempts, nextAttemptAt } = await makeAttempt(deps, input, { notification, webhook, config });
    if (outcome.kind === 'stopped') {
      await recordStop(deps, input.notificationId, outcome.reason);
      throw ApplicationFailure.create({ message: `automatic delivery stopped: ${outcome.reason}`, type: 'DeliveryStopped', nonRetryable: true, details: [outcome.reason], category: 'BENIGN' });
    }
    if (outcome.kind === 'held') {
      // No attempt was made: Temporal tries again when the circuit or limit allows (the pending
      // activity's last failure in the Web UI says why it waits).
      throw ApplicationFailure.create({
        message: `held: ${outcome.reason.replace('_', ' ')} for webhook ${notification.webhookId} until ${outcome.until}`,
        type: DELIVERY_HELD_ERROR,
        details: [outcome],
        category: 'BENIGN',
        nextRetryDelay: Math.ceil(outcome.waitSeconds * 1000),
      });
    }
    const summary = outcome.attempt;
    if (result!.ok || input.trigger === 'manual') return { status: outcome.status, attempt: summary };

    const reason = describeFailure(result!);
    // A receiver failing is expected and already recorded in MongoDB: BENIGN keeps it out of the
    // SDK's WARN logs (a stack trace per failed attempt) and its failure metrics.
    if (result!.error?.kind === 'blocked') {
      throw ApplicationFailure.create({ message: reason, type: 'BlockedDestination', nonRetryable: true, details: [summary], category: 'BENIGN' });
    }
    if (outcome.final) {
      throw ApplicationFailure.create({
        message: `${reason}; ${roundAttempts} of ${input.retry.maxAttempts} attempts used`,
        type: 'AttemptsExhausted',
        nonRetryable: true,
        details: [summary],
        category: 'BENIGN',
      });
    }

    // Let the workflow (and so the Web UI) see this attempt; best effort, the record is in MongoDB.
    await signalAttempt(ctx, { status: outcome.status, attempt: summary, nextAttemptAt: nextAttemptAt?.toISOString() ?? null });
    throw ApplicationFailure.create({
      message: reason,
      type: ATTEMPT_FAILED_ERROR,
      details: [summary],
      category: 'BENIGN',
      // Always the round's own schedule (by attempts recorded in MongoDB, Retry-After included):
      // Temporal's attempt count also counts held tries, which are no delivery attempts.
      nextRetryDelay: outcome.nextDelaySeconds !== null ? outcome.nextDelaySeconds * 1000 : undefined,
    });
  };
}

async function signalAttempt(ctx: Context, report: AttemptReport): Promise<void> {
  try {
    const { workflowExecution } = ctx.info;
    if (!workflowExecution) return;
    await ctx.client.workflow.getHandle(workflowExecution.workflowId, workflowExecution.runId).signal(attemptRecordedSignal, report);
  } catch (err) {
    ctx.log.warn('could not report the attempt to the workflow', { error: (err as Error).message });
  }
}
