/**
 * Resending many notifications: page through the matches (newest first, by _id cursor, so a
 * status changing under our feet never skips or repeats one) and signal-with-start `resend` on
 * each, a few at a time. Shared by the bulk-resend activity (which heartbeats the cursor, so a
 * retried activity resumes where it stopped) and `herald resend --failed` (which draws progress).
 */
import type { Models } from '../models';
import { notificationQuery, type NotificationFilter } from '../models/notification-filter';
import { idAtTime } from '../history/notification-list';
import { signalResend, type TemporalTarget } from '../temporal';
import type { ResendArgs } from '../../workflows/shared';
import { canResend } from '../../workflows/status';

export interface ResendProgress {
  /** The last notification id handled: resume with `_id < cursor`. */
  cursor: string | null;
  resent: number;
  /** Matches with no snapshot to send (their render failed): nothing to resend. */
  skipped: number;
}

export interface ResendManyOptions {
  /** Only notifications created at or before this time (the moment the request was made). */
  notAfter?: Date;
  from?: ResendProgress;
  pageSize?: number;
  concurrency?: number;
  args?: ResendArgs;
  onProgress?: (p: ResendProgress) => void | Promise<void>;
}

/**
 * The filter's MongoDB query, bounded by `notAfter`. Times are `_id` ranges (ids sort by creation
 * time, src/ids.ts), so the status or webhook index serves the whole query with its `_id` order
 * (query shapes notifications.failed*), not a `createdAt` range read beside it.
 */
export function resendQuery(filter: NotificationFilter, notAfter?: Date): Record<string, unknown> {
  const until = notAfter && (!filter.until || filter.until > notAfter) ? notAfter : filter.until;
  const query = notificationQuery({ ...filter, since: undefined, until: undefined });
  const ids: Record<string, string> = {};
  if (filter.since) ids.$gte = idAtTime('ntf', filter.since);
  // Created at or before `until`: below the first id of the next millisecond.
  if (until) ids.$lt = idAtTime('ntf', new Date(until.getTime() + 1));
  return Object.keys(ids).length ? { ...query, _id: ids } : query;
}

export async function resendMany(
  models: Pick<Models, 'Notification'>,
  temporal: TemporalTarget,
  filter: NotificationFilter,
  opts: ResendManyOptions = {},
): Promise<ResendProgress> {
  const pageSize = opts.pageSize ?? 200;
  const concurrency = opts.concurrency ?? 16;
  const progress: ResendProgress = { ...(opts.from ?? { cursor: null, resent: 0, skipped: 0 }) };
  const base = resendQuery(filter, opts.notAfter);
  for (;;) {
    // After the cursor, within the filter's time range (its `$gte` kept; the cursor is below its `$lt`).
    const query = progress.cursor ? { ...base, _id: { ...(base._id as object | undefined), $lt: progress.cursor } } : base;
    const page = await models.Notification.find(query, { webhookId: 1, eventType: 1, status: 1, 'request.method': 1, 'request.url': 1 })
      .sort({ _id: -1 })
      .limit(pageSize)
      .lean();
    if (page.length === 0) return progress;
    for (let i = 0; i < page.length; i += concurrency) {
      const slice = page.slice(i, i + concurrency);
      await Promise.all(
        slice.map(async (n) => {
          if (!canResend({ status: n.status, hasSnapshot: Boolean(n.request) })) {
            progress.skipped++;
            return;
          }
          await signalResend(
            temporal,
            { id: n._id, webhookId: n.webhookId, eventType: n.eventType, status: n.status, method: n.request?.method, url: n.request?.url },
            opts.args ?? {},
          );
          progress.resent++;
        }),
      );
      progress.cursor = slice[slice.length - 1]._id;
      await opts.onProgress?.({ ...progress });
    }
    if (page.length < pageSize) return progress;
  }
}
