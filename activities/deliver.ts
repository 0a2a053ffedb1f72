/**
 * deliver: one attempt to send the stored snapshot. The attempt is recorded in MongoDB (with the
 * notification's new status) before the activity reports anything to Temporal, so the history is
 * complete even for attempts that end in a retry.
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
  attemptRecordedSignal,
  type AttemptReport,
  type AttemptSummary,
  type DeliverInput,
  type DeliverResult,
  type DeliveryStatus,
  type RetrySchedule,
} from '../workflows/shared';
import { sendRequest, type AttemptResult } from '../src/delivery/send';
import { attemptHeaders } from '../src/delivery/attempt-headers';
import { recordAttempt, type NewAttempt } from '../src/delivery/record-attempt';
import { resolveStoredCredential, unresolvedCredentialAttempt } from '../src/delivery/credentials';

export function createDeliverActivity(deps: ActivityDeps) {
  const { models } = deps;

  return async function deliver(input: DeliverInput): Promise<DeliverResult> {
    const ctx = Context.current();
    const notification = await models.Notification.findById(input.notificationId, {
      request: 1,
      webhookId: 1,
      status: 1,
      attemptCount: 1,
      'attempts.idempotencyKey': 1,
    }).lean();
    if (!notification?.request) {
      throw ApplicationFailure.nonRetryable(`notification ${input.notificationId} has no snapshot`, 'NotificationGone');
    }
    const webhook = await models.Webhook.findById(notification.webhookId).lean();
    if (!webhook) throw ApplicationFailure.nonRetryable(`webhook ${notification.webhookId} does not exist`, 'NotificationGone');

    const now = new Date();
    const request = notification.request;
    // A credential naming an undefined variable is a failed attempt (nothing sent), not a crash.
    const prepared = await attemptHeaders({
      snapshot: request,
      webhook,
      notificationId: input.notificationId,
      idempotencyKey: input.idempotencyKey,
      now,
      secretBox: deps.secretBox,
      resolveCredential: (stored) => resolveStoredCredential(stored, { models, secretBox: deps.secretBox }),
    }).then(
      (headers) => ({ headers }),
      (err: unknown) => ({ failure: unresolvedCredentialAttempt(err, now) }),
    );

    const result =
      'failure' in prepared
        ? prepared.failure
        : await sendRequest(
            { method: request.method, url: request.url, headers: prepared.headers, body: request.body },
            { dispatcher: deps.dispatcher, timeoutMs: (webhook.timeoutSeconds ?? 15) * 1000 },
          );
    deps.metrics?.recordAttempt(result);

    const automatic = input.trigger === 'automatic';
    const roundAttempts = 1 + (notification.attempts ?? []).filter((a) => a.idempotencyKey === input.idempotencyKey).length;
    const final = result.ok || !automatic || result.error?.kind === 'blocked' || roundAttempts >= input.retry.maxAttempts;
    const nextDelaySeconds = final ? null : nextDelay(input.retry, ctx.info.attempt, result.retryAfterSeconds);
    const nextAttemptAt = nextDelaySeconds === null ? null : new Date(result.finishedAt.getTime() + nextDelaySeconds * 1000);

    const { ok: _ok, retryAfterSeconds: _retryAfter, ...outcome } = result;
    const attempt: NewAttempt = { ...outcome, trigger: input.trigger, idempotencyKey: input.idempotencyKey };
    // A failed manual attempt while the automatic round waits keeps the round's next attempt time.
    const keepsRound = !automatic && !result.ok && input.roundOpen === true;
    const recorded = await recordAttempt(models.Notification, notification, attempt, {
      newStatus: (current) => statusAfter(current, result, final, automatic, input.roundOpen === true),
      nextAttemptAt: keepsRound ? undefined : nextAttemptAt,
    });
    deps.metrics?.recordStatusChange(recorded.previousStatus, recorded.status);

    const summary: AttemptSummary = {
      number: recorded.number,
      trigger: input.trigger,
      ok: result.ok,
      statusCode: result.statusCode,
      errorKind: result.error?.kind,
      finishedAt: result.finishedAt.toISOString(),
    };
    if (result.ok || !automatic) return { status: recorded.status, attempt: summary };

    const reason = describeFailure(result);
    // A receiver failing is expected and already recorded in MongoDB: BENIGN keeps it out of the
    // SDK's WARN logs (a stack trace per failed attempt) and its failure metrics.
    if (result.error?.kind === 'blocked') {
      throw ApplicationFailure.create({ message: reason, type: 'BlockedDestination', nonRetryable: true, details: [summary], category: 'BENIGN' });
    }
    if (final) {
      throw ApplicationFailure.create({
        message: `${reason}; ${roundAttempts} of ${input.retry.maxAttempts} attempts used`,
        type: 'AttemptsExhausted',
        nonRetryable: true,
        details: [summary],
        category: 'BENIGN',
      });
    }

    // Let the workflow (and so the Web UI) see this attempt; best effort, the record is in MongoDB.
    await signalAttempt(ctx, { status: recorded.status, attempt: summary, nextAttemptAt: nextAttemptAt?.toISOString() ?? null });
    throw ApplicationFailure.create({
      message: reason,
      type: ATTEMPT_FAILED_ERROR,
      details: [summary],
      category: 'BENIGN',
      nextRetryDelay: result.retryAfterSeconds !== undefined && nextDelaySeconds !== null ? nextDelaySeconds * 1000 : undefined,
    });
  };
}

function statusAfter(current: DeliveryStatus, result: AttemptResult, final: boolean, automatic: boolean, roundOpen: boolean): DeliveryStatus {
  if (result.ok) return 'sent';
  // Nothing undoes a success: a failed resend of a sent notification leaves it sent.
  if (current === 'sent') return 'sent';
  if (!automatic) return roundOpen ? 'retrying' : 'failed';
  return final ? 'failed' : 'retrying';
}

/**
 * The delay Temporal will wait before the next attempt: Retry-After when the receiver sent one
 * (capped at maxIntervalSeconds), otherwise the exponential schedule for Temporal's attempt number.
 */
export function nextDelay(retry: RetrySchedule, temporalAttempt: number, retryAfterSeconds?: number): number {
  if (retryAfterSeconds !== undefined) return Math.min(Math.max(retryAfterSeconds, 1), retry.maxIntervalSeconds);
  return Math.min(retry.initialIntervalSeconds * retry.backoffCoefficient ** (temporalAttempt - 1), retry.maxIntervalSeconds);
}

function describeFailure(result: AttemptResult): string {
  if (result.error?.kind === 'http_status') return `receiver answered HTTP ${result.statusCode}`;
  return `${result.error?.kind ?? 'error'}: ${result.error?.message ?? 'unknown'}`;
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
