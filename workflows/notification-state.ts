/**
 * The workflow-side view of one notification (status, attempts, next attempt) and how it is shown:
 * the `HeraldStatus` search attribute (upserted only on change: each upsert is a visibility write)
 * and the Web UI's current details. Shared by both notification workflow paths. Deterministic.
 */
import { ActivityFailure, ApplicationFailure, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { HeraldStatus, NON_RETRYABLE_ERRORS, type AttemptSummary, type DeliverResult, type NotificationState, type PrepareResult } from './shared';
import type { DeliveryStatus } from './status';

export function newState(notificationId: string): NotificationState {
  return { notificationId, status: 'pending', attempts: 0, lastAttempt: null, nextAttemptAt: null, manualResends: 0 };
}

export function finish(state: NotificationState, result: DeliverResult, roundStillOpen: boolean): void {
  noteAttempt(state, result.attempt);
  // A failed manual attempt while the round waits keeps the round's next attempt time.
  if (!roundStillOpen || result.status === 'sent') state.nextAttemptAt = null;
  // After a success nothing downgrades the status (a failed manual resend of a sent one stays sent
  // in the UI summary, while MongoDB keeps every attempt).
  if (state.status !== 'sent' || result.status === 'sent') setStatus(state, result.status);
}

export function noteAttempt(state: NotificationState, attempt: AttemptSummary): void {
  state.heldReason = undefined;
  if (!state.lastAttempt || attempt.number >= state.lastAttempt.number) state.lastAttempt = attempt;
  state.attempts = Math.max(state.attempts, attempt.number);
}

export function setStatus(state: NotificationState, status: DeliveryStatus): void {
  state.status = status;
  if (workflowInfo().typedSearchAttributes.get(HeraldStatus) !== status) upsertSearchAttributes([{ key: HeraldStatus, value: status }]);
  setCurrentDetails(describeState(state));
}

export function describeState(state: NotificationState): string {
  const last = state.lastAttempt;
  const lines = [`**Status:** ${state.status}`, `**Attempts:** ${state.attempts}`];
  if (last) {
    const outcome = last.ok ? `HTTP ${last.statusCode}` : last.statusCode ? `HTTP ${last.statusCode}` : (last.errorKind ?? 'error');
    lines.push(`**Last attempt:** #${last.number} (${last.trigger}) ${last.ok ? 'succeeded' : 'failed'}: ${outcome} at ${last.finishedAt}`);
  }
  if (state.nextAttemptAt) lines.push(`**Next attempt:** ${state.nextAttemptAt}`);
  if (state.heldReason) lines.push(`**Waiting:** ${state.heldReason.replace('_', ' ')} (no attempt used)`);
  return lines.join('\n\n');
}

export function describe(state: NotificationState, prep: PrepareResult): string {
  return `${describeState(state)}\n\n**Webhook:** ${prep.webhookId} · ${prep.method} ${prep.host} · run ${workflowInfo().runId}`;
}

/** The attempt summary a final failure carries in its details, if any. */
export function failureSummary(err: unknown): AttemptSummary | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const first = cause.details?.[0] as AttemptSummary | undefined;
  return first && typeof first.number === 'number' ? first : undefined;
}

/**
 * The type of the non-retryable delivery failure an activity ended with, if it is one. A local
 * activity's failure reaches the workflow as the ApplicationFailure itself, a regular activity's
 * wrapped in an ActivityFailure: `localToo` accepts both. (The legacy path keeps its original,
 * ActivityFailure-only reading: its recorded histories depend on it.)
 */
export function finalDeliveryFailure(err: unknown, opts: { localToo?: boolean } = {}): (typeof NON_RETRYABLE_ERRORS)[number] | null {
  const cause = err instanceof ActivityFailure ? err.cause : opts.localToo ? err : undefined;
  if (!(cause instanceof ApplicationFailure)) return null;
  const type = cause.type ?? '';
  return (NON_RETRYABLE_ERRORS as readonly string[]).includes(type) ? (type as (typeof NON_RETRYABLE_ERRORS)[number]) : null;
}

/** The round failed for good: attempts exhausted or a non-retryable delivery error. */
export function isFinalDeliveryFailure(err: unknown): boolean {
  return finalDeliveryFailure(err) !== null;
}

/** Options of the deliver activity: automatic retries under the webhook's schedule, and manual resends. */
export function deliverActivityOptions(prep: PrepareResult, opts: { firstRetryAfterSchedule: boolean }) {
  const r = prep.retry;
  // Just above the HTTP timeout (which covers the whole request): a worker killed mid-attempt is
  // noticed, and the attempt retried, a few seconds after the request would have timed out anyway.
  const startToCloseTimeout = (prep.timeoutSeconds + 5) * 1000;
  const summary = `${prep.method} ${prep.host} (${prep.eventType})`;
  // When the first attempt was made by the local activity, the activity's first retry is the
  // round's third attempt: its backoff starts one step further along the schedule.
  const initial = opts.firstRetryAfterSchedule ? Math.min(r.initialIntervalSeconds * r.backoffCoefficient, r.maxIntervalSeconds) : r.initialIntervalSeconds;
  return {
    automatic: {
      startToCloseTimeout,
      summary: `deliver: ${summary}`,
      retry: {
        initialInterval: initial * 1000,
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
