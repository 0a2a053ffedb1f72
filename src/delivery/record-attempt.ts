/**
 * Records one attempt and the notification's new status in a single update. The attempt number
 * is the next value of attemptCount; the update is conditional on the count it read, so an
 * automatic and a manual attempt finishing at once never get the same number (the loser reloads
 * and tries again).
 */
import type { NotificationModel } from '../models/notification';
import type { AttemptResult } from './send';
import type { DeliveryStatus } from '../../workflows/shared';

/** What an attempt stores: the HTTP outcome plus which round it belonged to. */
export type NewAttempt = Omit<AttemptResult, 'ok' | 'retryAfterSeconds'> & {
  trigger: 'automatic' | 'manual';
  idempotencyKey: string;
};

export interface RecordedAttempt {
  number: number;
  previousStatus: DeliveryStatus;
  status: DeliveryStatus;
}

export async function recordAttempt(
  Notification: NotificationModel,
  loaded: { _id: string; attemptCount?: number | null; status?: DeliveryStatus | null },
  attempt: NewAttempt,
  opts: { newStatus: (current: DeliveryStatus) => DeliveryStatus; /** undefined: leave as is */ nextAttemptAt: Date | null | undefined },
): Promise<RecordedAttempt> {
  let current = { attemptCount: loaded.attemptCount ?? 0, status: (loaded.status ?? 'pending') as DeliveryStatus };
  for (let tries = 0; tries < 20; tries++) {
    const number = current.attemptCount + 1;
    const status = opts.newStatus(current.status);
    const set: Record<string, unknown> = { status, attemptCount: number };
    if (opts.nextAttemptAt !== undefined || status !== 'retrying') set.nextAttemptAt = opts.nextAttemptAt ?? null;
    if (status === 'sent' && current.status !== 'sent') set.sentAt = attempt.finishedAt;
    if (status === 'failed' && current.status !== 'failed') set.failedAt = attempt.finishedAt;
    if (status === 'sent') set.failedAt = null;
    const res = await Notification.updateOne(
      { _id: loaded._id, attemptCount: current.attemptCount },
      { $set: set, $push: { attempts: { ...attempt, number } } },
    );
    if (res.modifiedCount === 1) return { number, previousStatus: current.status, status };
    const fresh = await Notification.findById(loaded._id, { attemptCount: 1, status: 1 }).lean();
    if (!fresh) throw new Error(`notification ${loaded._id} disappeared while recording an attempt`);
    current = { attemptCount: fresh.attemptCount ?? 0, status: fresh.status as DeliveryStatus };
  }
  throw new Error(`could not record an attempt for ${loaded._id}: too much contention`);
}
