/**
 * Records one attempt and the notification's new status in one update, filtered by _id alone.
 *
 * Why not a conditional update on attemptCount: FerretDB pushes a filter down to its index only
 * when it is exactly `{_id}`; any other filter scans the whole collection, which made every
 * attempt cost O(notifications). So the common case is one indexed write, and the rare race (a
 * manual resend recorded between this activity's read and its write) is detected from the
 * pre-update document and repaired: attempts renumbered by position, status recomputed from the
 * real previous one.
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

interface RecordOptions {
  newStatus: (current: DeliveryStatus) => DeliveryStatus;
  /** undefined: leave nextAttemptAt as it is. */
  nextAttemptAt: Date | null | undefined;
}

function statusFields(attempt: NewAttempt, current: DeliveryStatus, status: DeliveryStatus, opts: RecordOptions) {
  // The last attempt's outcome, kept on the notification so the history can filter on it.
  // An attempt that went out is no longer held by the webhook's circuit or limits.
  const set: Record<string, unknown> = { status, lastStatusCode: attempt.statusCode ?? null, lastErrorKind: attempt.error?.kind ?? null, heldReason: null };
  if (opts.nextAttemptAt !== undefined || status !== 'retrying') set.nextAttemptAt = opts.nextAttemptAt ?? null;
  if (status === 'sent' && current !== 'sent') set.sentAt = attempt.finishedAt;
  if (status === 'failed' && current !== 'failed') set.failedAt = attempt.finishedAt;
  if (status === 'sent') set.failedAt = null;
  return set;
}

export async function recordAttempt(
  Notification: NotificationModel,
  loaded: { _id: string; attemptCount?: number | null; status?: DeliveryStatus | null },
  attempt: NewAttempt,
  opts: RecordOptions,
): Promise<RecordedAttempt> {
  const expectedCount = loaded.attemptCount ?? 0;
  const current = (loaded.status ?? 'pending') as DeliveryStatus;
  const number = expectedCount + 1;
  const status = opts.newStatus(current);
  const before = await Notification.findOneAndUpdate(
    { _id: loaded._id },
    { $set: statusFields(attempt, current, status, opts), $inc: { attemptCount: 1 }, $push: { attempts: { ...attempt, number } } },
    { new: false },
  ).lean();
  if (!before) throw new Error(`notification ${loaded._id} disappeared while recording an attempt`);
  if ((before.attemptCount ?? 0) === expectedCount && before.status === current) return { number, previousStatus: current, status };
  return repair(Notification, loaded._id, attempt, before.status as DeliveryStatus, opts);
}

/** The rare race: renumber attempts by position and recompute the status from what it really was. */
async function repair(
  Notification: NotificationModel,
  id: string,
  attempt: NewAttempt,
  previousStatus: DeliveryStatus,
  opts: RecordOptions,
): Promise<RecordedAttempt> {
  const doc = await Notification.findById(id, { attempts: 1 }).lean();
  const attempts = (doc?.attempts ?? []).map((a, i) => ({ ...a, number: i + 1 }));
  const mine = attempts.findIndex((a) => a.idempotencyKey === attempt.idempotencyKey && new Date(a.startedAt).getTime() === attempt.startedAt.getTime());
  const status = opts.newStatus(previousStatus);
  await Notification.updateOne({ _id: id }, { $set: { attempts, attemptCount: attempts.length, ...statusFields(attempt, previousStatus, status, opts) } });
  return { number: mine + 1, previousStatus, status };
}
