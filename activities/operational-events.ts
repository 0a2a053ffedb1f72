/**
 * Operational events emitted from activities (src/operational-events.ts does the work): the
 * activity's own Temporal client and task queue start the fanned-out notifications' workflows.
 */
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './index';
import type { AttemptResult } from '../src/delivery/send';
import type { IngestResult } from '../src/ingest';
import { emitOperationalEvent, type OperationalEventData, type OperationalEventType } from '../src/operational-events';
import {
  clearPendingNotificationFailed,
  emitsNotificationFailed,
  notificationFailedData,
  notificationFailedKey,
  type FailedNotificationFacts,
} from '../src/notification-failed';

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
 * `herald.notification.failed` for a notification whose automatic round just ended `failed`
 * (src/notification-failed.ts has its key, data and loop guard).
 *
 * Never throws: the attempt is already recorded, and throwing would make Temporal rerun the
 * activity, which sends the request again (an attempt beyond maxAttempts). Not duplicated: the key
 * is the notification and its round's idempotency key, so a rerun after a worker crash (which does
 * send again, as any crash may) emits into the same event. Not lost: the attempt noted the event as
 * pending before it was recorded, and the note is deleted only once the event is stored; if MongoDB
 * refuses the event (gone in that instant), the dispatch sweeper emits it from the note later.
 */
export async function emitNotificationFailed(
  deps: EmitDeps,
  n: FailedNotificationFacts & { idempotencyKey: string },
  last: Pick<AttemptResult, 'statusCode' | 'error' | 'finishedAt'>,
): Promise<void> {
  if (!emitsNotificationFailed(n.eventType)) return;
  const key = notificationFailedKey(n.notificationId, n.idempotencyKey);
  const log = { notificationId: n.notificationId, key };
  const emitting = emitFromActivity(deps, 'herald.notification.failed', notificationFailedData(n, last), { key, occurredAt: last.finishedAt })
    .then(() => clearPendingNotificationFailed(deps.models, key))
    .then(
      () => true,
      (err: unknown) => {
        deps.logger.warn({ err, ...log }, 'could not store herald.notification.failed now; the dispatch sweeper will');
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
