/**
 * One delivery attempt of a stored snapshot, as data: the core shared by the first-attempt local
 * activity and the deliver activity (retries and manual resends). The attempt is recorded in
 * MongoDB (with the notification's new status) before anything is reported to Temporal, so the
 * history is complete even for attempts that end in a retry.
 *
 * An automatic attempt first checks that delivery may go on (webhook still there and enabled,
 * communications on): if not, nothing is sent and the notification is `cancelled`. That check is
 * the backstop of the `stop` signal the API sends, so a stop is honoured even if a signal is lost.
 */
import type { ActivityDeps } from './index';
import type { AttemptOutcome, AttemptSummary, RetrySchedule, StopReason } from '../workflows/shared';
import { statusAfterAttempt, statusAfterStop, type DeliveryStatus } from '../workflows/status';
import { sendRequest, type AttemptResult } from '../src/delivery/send';
import { attemptHeaders } from '../src/delivery/attempt-headers';
import { recordAttempt, type NewAttempt } from '../src/delivery/record-attempt';
import { resolveStoredCredential, unresolvedCredentialAttempt } from '../src/delivery/credentials';
import type { CachedWebhook, ConfigView } from '../src/config-cache';
import { enterGate } from '../src/flow-control/gate';
import { healthSignal } from '../src/flow-control/circuit';
import type { LoadedNotification } from '../src/models/notification';
import { emitNotificationFailed } from './operational-events';
import { rollupsOf } from '../src/stats/rollups';
import { clearPendingNotificationFailed, emitsNotificationFailed, notePendingNotificationFailed, notificationFailedKey } from '../src/notification-failed';

export interface AttemptInput {
  notificationId: string;
  trigger: 'automatic' | 'manual';
  idempotencyKey: string;
  retry: RetrySchedule;
  roundOpen?: boolean;
}

/** Extra facts an attempt reports besides its outcome, for the activity boundary. */
export interface AttemptDetails {
  outcome: AttemptOutcome;
  result?: AttemptResult;
  roundAttempts?: number;
  nextAttemptAt?: Date | null;
}

/** Why automatic delivery may not go on, if it may not. */
export function stopReason(config: ConfigView, webhook: CachedWebhook | undefined): StopReason | null {
  if (!webhook || webhook.deletedAt) return 'webhook_deleted';
  if (!webhook.enabled) return 'webhook_disabled';
  if (config.communications === 'none') return 'communications_off';
  return null;
}

export async function recordStop(deps: Pick<ActivityDeps, 'models' | 'metrics'>, notificationId: string, reason: StopReason): Promise<DeliveryStatus> {
  const current = await deps.models.Notification.findById(notificationId, { status: 1, webhookId: 1 }).lean();
  if (!current) return 'cancelled';
  const status = statusAfterStop(current.status as DeliveryStatus);
  if (status !== current.status) {
    await deps.models.Notification.updateOne(
      { _id: notificationId },
      { $set: { status, cancelReason: reason, cancelledAt: new Date(), nextAttemptAt: null } },
    );
    deps.metrics?.recordStatusChange(current.status as string, status);
    rollupsOf(deps.models).status(current.webhookId, notificationId, current.status as DeliveryStatus, status);
  }
  return status;
}

export async function makeAttempt(
  deps: ActivityDeps,
  input: AttemptInput,
  loaded: { notification: LoadedNotification; webhook: CachedWebhook | undefined; config: ConfigView },
): Promise<AttemptDetails> {
  const { models } = deps;
  const { notification, webhook, config } = loaded;
  const automatic = input.trigger === 'automatic';
  const stop = automatic ? stopReason(config, webhook) : null;
  if (stop) return { outcome: { kind: 'stopped', reason: stop } };
  if (!webhook) throw new Error(`webhook ${notification.webhookId} does not exist`);
  const request = notification.request!;

  // The webhook's circuit breaker (automatic attempts only) and its rate and concurrency limits.
  const timeoutMs = (webhook.timeoutSeconds ?? 15) * 1000;
  const gate = await enterGate({ models, health: deps.health }, webhook, {
    automatic,
    holder: `${input.notificationId}:${input.idempotencyKey}:${Date.now()}`,
    leaseMs: timeoutMs + 5000,
    now: new Date(),
  });
  if (gate.kind === 'held') {
    deps.metrics?.recordHeld(gate.reason);
    if (automatic) await models.Notification.updateOne({ _id: input.notificationId }, { $set: { heldReason: gate.reason, nextAttemptAt: gate.until } });
    const waitSeconds = Math.max(0.1, (gate.until.getTime() - Date.now()) / 1000);
    return { outcome: { kind: 'held', reason: gate.reason, until: gate.until.toISOString(), waitSeconds } };
  }

  // The concurrency lease is held exactly while the request is in flight.
  const result = await send(deps, { input, request, webhook, timeoutMs }).finally(() => gate.release());
  deps.metrics?.recordAttempt(result);

  const roundAttempts = 1 + (notification.attempts ?? []).filter((a) => a.idempotencyKey === input.idempotencyKey).length;
  const final = result.ok || !automatic || result.error?.kind === 'blocked' || roundAttempts >= input.retry.maxAttempts;
  const nextDelaySeconds = final ? null : nextDelay(input.retry, roundAttempts, result.retryAfterSeconds);
  const nextAttemptAt = nextDelaySeconds === null ? null : new Date(result.finishedAt.getTime() + nextDelaySeconds * 1000);

  const { ok: _ok, retryAfterSeconds: _retryAfter, ...outcome } = result;
  const attempt: NewAttempt = { ...outcome, trigger: input.trigger, idempotencyKey: input.idempotencyKey };
  // A failed manual attempt while the automatic round waits keeps the round's next attempt time.
  const keepsRound = !automatic && !result.ok && input.roundOpen === true;
  // This attempt ends the automatic round failed: note herald.notification.failed as pending before
  // recording it, so no failure after the recording can lose the event (src/notification-failed.ts).
  const endsFailed = automatic && final && !result.ok && emitsNotificationFailed(notification.eventType);
  if (endsFailed) await notePendingNotificationFailed(models, input.notificationId, input.idempotencyKey);
  const recorded = await recordAttempt(models.Notification, notification, attempt, {
    newStatus: (current) => statusAfterAttempt(current, { ok: result.ok, automatic, final, roundOpen: input.roundOpen === true }),
    nextAttemptAt: keepsRound ? undefined : nextAttemptAt,
  });
  deps.metrics?.recordStatusChange(recorded.previousStatus, recorded.status);
  // Stats and charts (src/stats/rollups.ts): counted in memory, written by the periodic flush.
  const rollups = rollupsOf(models);
  rollups.attempt(notification.webhookId, result);
  rollups.status(notification.webhookId, input.notificationId, recorded.previousStatus, recorded.status);
  const signal = healthSignal(result);
  if (signal) await deps.health.record(webhook, signal, { now: result.finishedAt });
  // The automatic round ended failed: tell the operators subscribed to herald.notification.failed
  // (never throws; deduplicated per round, so a rerun of this activity emits into the same event).
  if (endsFailed && recorded.status === 'failed') {
    const n = { notificationId: input.notificationId, webhookId: notification.webhookId, webhookName: webhook.name, eventId: notification.eventId, eventType: notification.eventType };
    await emitNotificationFailed(deps, { ...n, idempotencyKey: input.idempotencyKey, attempts: recorded.number }, result);
  } else if (endsFailed) {
    // A manual success won the race: the round did not end failed (the sweeper would drop it too).
    await clearPendingNotificationFailed(models, notificationFailedKey(input.notificationId, input.idempotencyKey)).catch((err: unknown) =>
      deps.logger.warn({ err, notificationId: input.notificationId }, 'could not clear a pending herald.notification.failed; the dispatch sweeper will'),
    );
  }

  const summary: AttemptSummary = {
    number: recorded.number,
    trigger: input.trigger,
    ok: result.ok,
    statusCode: result.statusCode,
    errorKind: result.error?.kind,
    finishedAt: result.finishedAt.toISOString(),
  };
  return {
    outcome: { kind: 'attempted', status: recorded.status, attempt: summary, final, nextDelaySeconds, nextAttemptAt: nextAttemptAt?.toISOString() ?? null },
    result,
    roundAttempts,
    nextAttemptAt,
  };
}

/** Signs and sends the snapshot. A credential naming an undefined variable is a failed attempt (nothing sent), not a crash. */
async function send(
  deps: ActivityDeps,
  a: { input: AttemptInput; request: NonNullable<LoadedNotification['request']>; webhook: CachedWebhook; timeoutMs: number },
): Promise<AttemptResult> {
  const { input, request, webhook } = a;
  const now = new Date();
  const prepared = await attemptHeaders({
    snapshot: request,
    webhook,
    notificationId: input.notificationId,
    idempotencyKey: input.idempotencyKey,
    now,
    secretBox: deps.secretBox,
    resolveCredential: (stored) => resolveStoredCredential(stored, { models: deps.models, secretBox: deps.secretBox }),
  }).then(
    (headers) => ({ headers }),
    (err: unknown) => ({ failure: unresolvedCredentialAttempt(err, now) }),
  );
  if ('failure' in prepared) return prepared.failure;
  return sendRequest(
    { method: request.method, url: request.url, headers: prepared.headers, body: request.body },
    { dispatcher: deps.dispatcher, timeoutMs: a.timeoutMs },
  );
}

/**
 * The delay before the next automatic attempt after the round's `attemptNumber`-th attempt:
 * Retry-After when the receiver sent one (capped at maxIntervalSeconds), otherwise the exponential
 * schedule (initial × coefficient^(n−1), capped).
 */
export function nextDelay(retry: RetrySchedule, attemptNumber: number, retryAfterSeconds?: number): number {
  if (retryAfterSeconds !== undefined) return Math.min(Math.max(retryAfterSeconds, 1), retry.maxIntervalSeconds);
  return Math.min(retry.initialIntervalSeconds * retry.backoffCoefficient ** (attemptNumber - 1), retry.maxIntervalSeconds);
}

export function describeFailure(result: AttemptResult): string {
  if (result.error?.kind === 'http_status') return `receiver answered HTTP ${result.statusCode}`;
  return `${result.error?.kind ?? 'error'}: ${result.error?.message ?? 'unknown'}`;
}
