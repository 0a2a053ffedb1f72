/**
 * The one definition of "which events": used by `GET /v1/events`, the replay (API, workflow
 * activity and `herald replay`), so a replay covers exactly what the list shows.
 *
 * `matched` (did the event create at least one notification?) is derived from the notifications
 * themselves, not stored on the event: it then stays true after a replay creates the first
 * notification of an old event, and after the dispatch sweeper redoes an interrupted fan-out, with no
 * write on the ingest path to keep in step.
 *
 * Events are ordered by `createdAt` (then `_id`), not by `_id` alone: an event's id may be given
 * by its sender, so it does not sort by time the way generated ids do.
 */
import type { Models } from './index';
import type { EventDoc } from './event';

export interface EventFilter {
  eventId?: string;
  type?: string;
  /** One of the event's entityIds. */
  entityId?: string;
  /** createdAt >= since */
  since?: Date;
  /** createdAt <= until */
  until?: Date;
  /** true: created at least one notification; false: created none. */
  matched?: boolean;
}

/** Where a scan stopped: plain strings, so it fits in a cursor and in an activity heartbeat. */
export interface EventPosition {
  createdAt: string;
  id: string;
}

export type EventOrder = 'newest' | 'oldest';
export type StoredEvent = EventDoc & { _id: string; createdAt?: Date | null };

/** A MongoDB filter for every field but `matched` (which needs the notifications). */
export function eventQuery(f: Omit<EventFilter, 'matched'>): Record<string, unknown> {
  const q: Record<string, unknown> = {};
  if (f.eventId) q._id = f.eventId;
  if (f.type) q.type = f.type;
  if (f.entityId) q.entityIds = f.entityId;
  if (f.since || f.until) q.createdAt = { ...(f.since ? { $gte: f.since } : {}), ...(f.until ? { $lte: f.until } : {}) };
  return q;
}

export function isEmptyEventFilter(f: EventFilter): boolean {
  return Object.values(f).every((v) => v === undefined);
}

export function encodeEventCursor(p: EventPosition): string {
  return Buffer.from(JSON.stringify([p.createdAt, p.id]), 'utf8').toString('base64url');
}

/** null for anything that is not a cursor this API handed out. */
export function decodeEventCursor(cursor: string): EventPosition | null {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') return null;
    if (Number.isNaN(new Date(value[0]).getTime())) return null;
    return { createdAt: value[0], id: value[1] };
  } catch {
    return null;
  }
}

export function positionOf(e: { _id: string; createdAt?: Date | null }): EventPosition {
  return { createdAt: (e.createdAt ?? new Date(0)).toISOString(), id: e._id };
}

export function afterPosition(p: EventPosition, order: EventOrder): Record<string, unknown> {
  const at = new Date(p.createdAt);
  const op = order === 'newest' ? '$lt' : '$gt';
  return { $or: [{ createdAt: { [op]: at } }, { createdAt: at, _id: { [op]: p.id } }] };
}

/** How many notifications each event created (events with none are absent). */
export async function notificationCounts(models: Pick<Models, 'Notification'>, eventIds: string[]): Promise<Map<string, number>> {
  if (eventIds.length === 0) return new Map();
  const rows = await models.Notification.aggregate<{ _id: string; n: number }>([
    { $match: { eventId: { $in: eventIds } } },
    { $group: { _id: '$eventId', n: { $sum: 1 } } },
  ]);
  return new Map(rows.map((r) => [r._id, r.n]));
}

export interface EventPage {
  events: Array<StoredEvent & { notificationCount: number }>;
  /** Continue after this position; null when nothing is left. */
  next: EventPosition | null;
}

/**
 * Up to `limit` events of the filter after `after`, in `order`. With `matched` set, events are
 * read in batches and kept or dropped by their notifications; `maxScan` bounds the events read
 * for one page, so a rare match in a long history answers in bounded time: the page may then hold
 * fewer than `limit` events with a non-null `next` (keep paging).
 */
export async function findEvents(
  models: Pick<Models, 'Event' | 'Notification'>,
  filter: EventFilter,
  opts: { after?: EventPosition | null; order: EventOrder; limit: number; maxScan?: number; notAfter?: Date },
): Promise<EventPage> {
  const { matched, ...rest } = filter;
  const until = opts.notAfter && (!rest.until || rest.until > opts.notAfter) ? opts.notAfter : rest.until;
  const base = eventQuery({ ...rest, until });
  const sort = opts.order === 'newest' ? { createdAt: -1 as const, _id: -1 as const } : { createdAt: 1 as const, _id: 1 as const };
  const maxScan = opts.maxScan ?? 5000;
  // One more than the page, to know whether another page exists.
  const want = opts.limit + 1;
  const batchSize = matched === undefined ? want : Math.min(Math.max(want * 4, 100), 1000);
  const found: EventPage['events'] = [];
  let position = opts.after ?? null;
  let scanned = 0;
  for (;;) {
    const after = position ? afterPosition(position, opts.order) : null;
    const query = after ? (Object.keys(base).length ? { $and: [base, after] } : after) : base;
    const batch = (await models.Event.find(query).sort(sort).limit(batchSize).lean()) as StoredEvent[];
    const counts = await notificationCounts(models, batch.map((e) => e._id));
    for (const e of batch) {
      const notificationCount = counts.get(e._id) ?? 0;
      if (matched === undefined || matched === notificationCount > 0) {
        if (found.length === opts.limit) return { events: found, next: positionOf(found[found.length - 1]) };
        found.push({ ...e, notificationCount });
      }
      position = positionOf(e);
      scanned++;
    }
    if (batch.length < batchSize) return { events: found, next: null };
    if (scanned >= maxScan) return { events: found, next: position };
  }
}
