/**
 * `herald.notification.failed`, the operational event of a round that ended `failed`: its key, its
 * data, and the pending record that makes it impossible to lose (src/models/pending-operational-event.ts).
 *
 * The attempt that ends a round failed (activities/attempt.ts) first notes the event as pending,
 * then records the attempt, then stores the event and deletes the note. If MongoDB fails or the
 * process dies after the attempt was recorded, the note stays and the dispatch sweeper emits the
 * event from the stored notification. The key makes every path emit into the same one event.
 */
import { publicEventId } from './accounts/event-ids';
import type { Models } from './models';
import type { PendingOperationalEventDoc } from './models/pending-operational-event';
import { emitOperationalEvent, type NotificationFailedData, type OperationalEventDeps } from './operational-events';
import { isReservedEventType } from './matching/event-type';
import { isRoundOpen, type DeliveryStatus } from '../workflows/status';
import { isDuplicateKey } from './db';

/** One event per automatic round: the notification and the round's idempotency key. */
export function notificationFailedKey(notificationId: string, idempotencyKey: string): string {
  return `notification.failed:${notificationId}:${idempotencyKey}`;
}

/**
 * Loop guard: no event for notifications of `herald.*` events, so an operational webhook that fails
 * emits nothing about itself (a broken alert channel cannot feed itself alerts without bound).
 */
export function emitsNotificationFailed(eventType: string): boolean {
  return !isReservedEventType(eventType);
}

export interface FailedNotificationFacts {
  notificationId: string;
  webhookId: string;
  webhookName?: string | null;
  eventId: string;
  eventType: string;
  /** The number of the round's last attempt. */
  attempts: number;
}

export function notificationFailedData(
  n: FailedNotificationFacts,
  last: { statusCode?: number | null; error?: { kind?: string | null } | null; finishedAt: Date },
): NotificationFailedData {
  return {
    notificationId: n.notificationId,
    webhookId: n.webhookId,
    webhookName: n.webhookName ?? null,
    eventId: publicEventId(n.eventId),
    eventType: n.eventType,
    attempts: n.attempts,
    lastAttempt: { statusCode: last.statusCode ?? null, errorKind: last.error?.kind ?? null, finishedAt: last.finishedAt.toISOString() },
  };
}

/** Notes the event as pending (before the attempt is recorded). A rerun of the attempt finds its note there. */
export async function notePendingNotificationFailed(models: Pick<Models, 'PendingOperationalEvent'>, notificationId: string, idempotencyKey: string): Promise<void> {
  try {
    await models.PendingOperationalEvent.create({ _id: notificationFailedKey(notificationId, idempotencyKey), notificationId, idempotencyKey });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}

export async function clearPendingNotificationFailed(models: Pick<Models, 'PendingOperationalEvent'>, key: string): Promise<void> {
  await models.PendingOperationalEvent.deleteOne({ _id: key });
}

/**
 * The sweeper's side: emits a pending event whose round ended failed, drops one whose round did not
 * (a retry of the attempt went through, a manual success, a stop), and leaves one whose round is
 * still open (its attempt is being retried) for a later pass.
 */
export async function emitPendingNotificationFailed(
  deps: OperationalEventDeps,
  pending: Pick<PendingOperationalEventDoc, '_id' | 'notificationId' | 'idempotencyKey'>,
): Promise<'emitted' | 'dropped' | 'waiting'> {
  const n = await deps.models.Notification.findById(pending.notificationId, { status: 1, webhookId: 1, webhookName: 1, eventId: 1, eventType: 1, attempts: 1 }).lean();
  const round = (n?.attempts ?? []).map((a, i) => ({ ...a, number: i + 1 })).filter((a) => a.idempotencyKey === pending.idempotencyKey && a.trigger === 'automatic');
  const last = round[round.length - 1];
  if (n && isRoundOpen(n.status as DeliveryStatus)) return 'waiting';
  if (!n || n.status !== 'failed' || !last || !emitsNotificationFailed(n.eventType)) {
    await clearPendingNotificationFailed(deps.models, pending._id);
    return 'dropped';
  }
  const facts = { notificationId: pending.notificationId, webhookId: n.webhookId, webhookName: n.webhookName, eventId: n.eventId, eventType: n.eventType, attempts: last.number };
  await emitOperationalEvent(deps, 'herald.notification.failed', notificationFailedData(facts, last), { key: pending._id, occurredAt: last.finishedAt });
  await clearPendingNotificationFailed(deps.models, pending._id);
  return 'emitted';
}
