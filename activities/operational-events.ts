/**
 * Operational events emitted from activities (src/operational-events.ts does the work): the
 * activity's own Temporal client and task queue start the fanned-out notifications' workflows.
 */
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './index';
import type { AttemptResult } from '../src/delivery/send';
import type { IngestResult } from '../src/ingest';
import { isReservedEventType } from '../src/matching/event-type';
import {
  emitOperationalEvent,
  type NotificationFailedData,
  type OperationalEventData,
  type OperationalEventType,
} from '../src/operational-events';

export type EmitDeps = Pick<ActivityDeps, 'models' | 'configCache' | 'logger' | 'userAgent'>;

/** Emits an operational event from inside an activity (regular or local). Throws if it could not be stored. */
export async function emitFromActivity(deps: EmitDeps, type: OperationalEventType, data: OperationalEventData, opts: { key: string; occurredAt?: Date }): Promise<IngestResult> {
  const ctx = Context.current();
  return emitOperationalEvent({ ...deps, temporal: { client: ctx.client, taskQueue: ctx.info.taskQueue } }, type, data, opts);
}

/**
 * How long the final attempt waits for its `herald.notification.failed` to be stored. The
 * activity's own timeout is the webhook's HTTP timeout + 5 s, and a timed-out attempt has used the
 * first part: the emit must never make Temporal time the activity out and run the attempt again.
 */
export const NOTIFICATION_FAILED_WAIT_MS = 2000;

/**
 * `herald.notification.failed` for a notification whose automatic round just ended `failed`.
 *
 * Never throws: the attempt is already recorded, and throwing would make Temporal rerun the
 * activity, which sends the request again (an attempt beyond maxAttempts). Not duplicated: the key
 * is the notification and its round's idempotency key, so a rerun after a worker crash (which does
 * send again, as any crash may) emits into the same event. Not lost once stored: the insert is one
 * write to the MongoDB that just took the attempt, and an unfinished fan-out is swept. If MongoDB
 * refuses it (gone in that instant) the loss is logged as an error with the notification id.
 *
 * Loop guard: none for notifications of `herald.*` events. An operational webhook that fails emits
 * nothing about itself, so a broken alert channel cannot feed itself alerts without bound (the
 * circuit and disabled events the lead emits are about webhooks, not notifications, and are
 * emitted once per state change, so they are bounded by construction).
 */
export async function emitNotificationFailed(
  deps: EmitDeps,
  n: { notificationId: string; webhookId: string; webhookName?: string | null; eventId: string; eventType: string; idempotencyKey: string; attempts: number },
  last: Pick<AttemptResult, 'statusCode' | 'error' | 'finishedAt'>,
): Promise<void> {
  if (isReservedEventType(n.eventType)) return;
  const data: NotificationFailedData = {
    notificationId: n.notificationId,
    webhookId: n.webhookId,
    webhookName: n.webhookName ?? null,
    eventId: n.eventId,
    eventType: n.eventType,
    attempts: n.attempts,
    lastAttempt: { statusCode: last.statusCode ?? null, errorKind: last.error?.kind ?? null, finishedAt: last.finishedAt.toISOString() },
  };
  const key = `notification.failed:${n.notificationId}:${n.idempotencyKey}`;
  const log = { notificationId: n.notificationId, key };
  const emitting = emitFromActivity(deps, 'herald.notification.failed', data, { key, occurredAt: last.finishedAt }).then(
    () => true,
    (err: unknown) => {
      deps.logger.error({ err, ...log }, 'could not store herald.notification.failed: this operational event is lost');
      return true;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), NOTIFICATION_FAILED_WAIT_MS)));
  const done = await Promise.race([emitting, waited]);
  clearTimeout(timer);
  // Still going (a slow MongoDB): it goes on in the background; its failure, if any, is logged above.
  if (!done) deps.logger.warn(log, 'herald.notification.failed is taking long to store; the attempt goes on without waiting');
}
