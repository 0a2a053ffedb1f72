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
import { validationError } from '../errors';

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

/**
 * How many events a filter covers (`matched` aside), as the replay reports it: from the entity
 * links for an entity (events' entityIds have no index), from the events otherwise. Linear in the
 * matches (the embedded store counts by reading them): the replay's answer, not a list's.
 */
export async function countEvents(models: Pick<Models, 'Event' | 'EntityLink'>, f: Omit<EventFilter, 'matched'>): Promise<number> {
  checkEventFilter(f);
  if (f.entityId === undefined || f.eventId !== undefined) return models.Event.countDocuments(eventQuery(f));
  const at = { ...(f.since ? { $gte: f.since } : {}), ...(f.until ? { $lte: f.until } : {}) };
  return models.EntityLink.countDocuments({ entityId: f.entityId, kind: 'evt', ...(Object.keys(at).length ? { at } : {}) });
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

/** How many notifications each event created (events with none are absent): read from the (accountId, eventId) index. */
export async function notificationCounts(models: Pick<Models, 'Notification'>, eventIds: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (eventIds.length === 0) return counts;
  const rows = await models.Notification.find({ eventId: { $in: eventIds } }, { eventId: 1 }).lean();
  for (const r of rows) counts.set(r.eventId, (counts.get(r.eventId) ?? 0) + 1);
  return counts;
}

/**
 * The filters that combine, each list served by one index (src/models/query-shapes.ts): by time,
 * by `type`, by `entityId` (the entity links), with since/until, cursor and `matched` on any of
 * them; `eventId` is one event. Anything else is a 400 naming the parameters.
 */
export function checkEventFilter(f: EventFilter): void {
  if (f.eventId === undefined && f.type !== undefined && f.entityId !== undefined) {
    const message = 'cannot be combined with type: each list is served by one index (type, or entityId, each with since, until, matched and cursor)';
    throw validationError([{ path: 'entityId', message }], 'No index serves the filter type + entityId');
  }
}

/**
 * Up to `n` events in `order` after `after`, within the filter: two index ranges, the rest of
 * `after`'s own millisecond (by id), then the times beyond it. The one $or a cursor of (time, id)
 * would need is a scan on the embedded store, whose planner serves ranges of one key.
 */
async function eventBatch(models: Pick<Models, 'Event' | 'EntityLink'>, f: Omit<EventFilter, 'matched'>, after: EventPosition | null, order: EventOrder, n: number): Promise<StoredEvent[]> {
  const dir: 1 | -1 = order === 'newest' ? -1 : 1;
  const op = order === 'newest' ? '$lt' : '$gt';
  const range: Record<string, Date> = { ...(f.since ? { $gte: f.since } : {}), ...(f.until ? { $lte: f.until } : {}) };
  const run = async (time: unknown, id: unknown, limit: number): Promise<StoredEvent[]> => {
    if (f.entityId === undefined) {
      const q: Record<string, unknown> = { ...(f.type ? { type: f.type } : {}), ...(f.eventId ? { _id: f.eventId } : {}) };
      if (time !== undefined) q.createdAt = time;
      if (id !== undefined) q._id = f.eventId ?? id;
      // Within one millisecond the order is the id's alone (SQLite does not drop a sort key fixed by equality).
      const sort: Record<string, 1 | -1> = time instanceof Date ? { _id: dir } : { createdAt: dir, _id: dir };
      return (await models.Event.find(q).sort(sort).limit(limit).lean()) as StoredEvent[];
    }
    const q: Record<string, unknown> = { entityId: f.entityId, kind: 'evt' };
    if (time !== undefined) q.at = time;
    if (id !== undefined) q.ref = id;
    const links = await models.EntityLink.find(q, { ref: 1 }).sort(time instanceof Date ? { ref: dir } : { at: dir, ref: dir }).limit(limit).lean();
    const ids = links.map((l) => l.ref);
    const extra = { ...(f.type ? { type: f.type } : {}), ...(f.eventId ? { _id: f.eventId } : {}) };
    const events = ids.length ? ((await models.Event.find({ _id: { $in: ids } }).lean()) as StoredEvent[]) : [];
    const byId = new Map(events.filter((e) => Object.entries(extra).every(([k, v]) => (e as unknown as Record<string, unknown>)[k] === v)).map((e) => [e._id, e]));
    return ids.map((i) => byId.get(i)).filter((e): e is StoredEvent => e !== undefined);
  };
  const whole = Object.keys(range).length ? range : undefined;
  if (!after) return run(whole, undefined, n);
  const at = new Date(after.createdAt);
  const same = await run(at, { [op]: after.id }, n);
  if (same.length >= n) return same;
  return [...same, ...(await run({ ...range, [op]: at }, undefined, n - same.length))];
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
  models: Pick<Models, 'Event' | 'Notification' | 'EntityLink'>,
  filter: EventFilter,
  opts: { after?: EventPosition | null; order: EventOrder; limit: number; maxScan?: number; notAfter?: Date },
): Promise<EventPage> {
  const { matched, ...rest } = filter;
  checkEventFilter(filter);
  const until = opts.notAfter && (!rest.until || rest.until > opts.notAfter) ? opts.notAfter : rest.until;
  const maxScan = opts.maxScan ?? 5000;
  // One more than the page, to know whether another page exists.
  const want = opts.limit + 1;
  const batchSize = matched === undefined ? want : Math.min(Math.max(want * 4, 100), 1000);
  const found: EventPage['events'] = [];
  let position = opts.after ?? null;
  let scanned = 0;
  for (;;) {
    const batch = await eventBatch(models, { ...rest, until }, position, opts.order, batchSize);
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
