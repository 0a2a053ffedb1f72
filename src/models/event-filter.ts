/**
 * The one definition of "which events": used by `GET /v1/events`, the replay (API, workflow
 * activity and `herald replay`), so a replay covers exactly what the list shows.
 *
 * `matched` (did the event create at least one notification?) and the count come from the
 * event's `notificationCount`, written with its dispatched mark and brought up to date by a replay
 * (src/replay.ts); only an event not dispatched yet has its notifications counted, so a page reads
 * its events and nothing else (counting them read every notification of the page: 2–3 ms each on
 * the embedded store, which decodes a whole notification with its attempts to project one field).
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

/**
 * How many events a filter covers (`matched` aside), as the replay reports it: from the entity
 * links for an entity (events' entityIds have no index), from the events otherwise. Linear in the
 * matches (the embedded store counts by reading them): the replay's answer, not a list's.
 */
export async function countEvents(models: Pick<Models, 'Event' | 'EntityLink'>, f: Omit<EventFilter, 'matched'>): Promise<number> {
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

/** The event's own count is the truth once its fan-out is done (dispatched, count written). */
function isCounted(e: StoredEvent): boolean {
  return e.dispatchedAt != null && typeof e.notificationCount === 'number';
}

/** One batch read from an index: the events that match the whole filter, how many it read, where it stopped. */
interface EventBatch {
  events: StoredEvent[];
  read: number;
  last: EventPosition | null;
}

/**
 * Up to `n` index entries in `order` after `after`, within the filter: two index ranges, the rest
 * of `after`'s own millisecond (by id), then the times beyond it (a cursor of (time, id) would
 * otherwise need an $or, which the embedded store's planner reads in full). By entity, the links
 * lead and `type` is checked on the events read: that combination has no index of its own.
 */
async function eventBatch(models: Pick<Models, 'Event' | 'EntityLink'>, f: Omit<EventFilter, 'matched'>, after: EventPosition | null, order: EventOrder, n: number): Promise<EventBatch> {
  const dir: 1 | -1 = order === 'newest' ? -1 : 1;
  const op = order === 'newest' ? '$lt' : '$gt';
  // Always bounded above (a day past now when the filter is not): the bound tells the embedded store's
  // planner the key is a date, whose index order it may use (it does not sort numbers by index).
  const range: Record<string, Date> = { ...(f.since ? { $gte: f.since } : {}), $lte: f.until ?? new Date(Date.now() + 86_400_000) };
  const run = async (time: unknown, id: unknown, limit: number): Promise<EventBatch> => {
    if (f.entityId === undefined) {
      const q: Record<string, unknown> = { ...(f.type ? { type: f.type } : {}), ...(f.eventId ? { _id: f.eventId } : {}) };
      if (time !== undefined) q.createdAt = time;
      if (id !== undefined) q._id = f.eventId ?? id;
      // Within one millisecond the order is the id's alone (SQLite does not drop a sort key fixed by equality).
      const sort: Record<string, 1 | -1> = time instanceof Date ? { _id: dir } : { createdAt: dir, _id: dir };
      const events = (await models.Event.find(q).sort(sort).limit(limit).lean()) as StoredEvent[];
      return { events, read: events.length, last: events.length ? positionOf(events[events.length - 1]) : null };
    }
    // `ref > ''` (every ref) tells the embedded store's planner that ref is a string it may read in index order.
    const q: Record<string, unknown> = { entityId: f.entityId, kind: 'evt', ref: id ?? { $gt: '' } };
    if (time !== undefined) q.at = time;
    const links = await models.EntityLink.find(q, { ref: 1, at: 1 }).sort(time instanceof Date ? { ref: dir } : { at: dir, ref: dir }).limit(limit).lean();
    const ids = links.map((l) => l.ref);
    const found = ids.length ? ((await models.Event.find({ _id: { $in: ids } }).lean()) as StoredEvent[]) : [];
    const keep = (e: StoredEvent) => (!f.type || e.type === f.type) && (!f.eventId || e._id === f.eventId);
    const byId = new Map(found.filter(keep).map((e) => [e._id, e]));
    const last = links[links.length - 1];
    return {
      events: ids.map((i) => byId.get(i)).filter((e): e is StoredEvent => e !== undefined),
      read: links.length,
      last: last ? { createdAt: last.at.toISOString(), id: last.ref } : null,
    };
  };
  if (!after) return run(range, undefined, n);
  const at = new Date(after.createdAt);
  const same = await run(at, { [op]: after.id }, n);
  if (same.read >= n) return same;
  const beyond = await run({ ...range, [op]: at }, undefined, n - same.read);
  return { events: [...same.events, ...beyond.events], read: same.read + beyond.read, last: beyond.last ?? same.last };
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
  const until = opts.notAfter && (!rest.until || rest.until > opts.notAfter) ? opts.notAfter : rest.until;
  const maxScan = opts.maxScan ?? 5000;
  // One more than the page, to know whether another page exists.
  const want = opts.limit + 1;
  // Filters read past what they keep (matched, type by entity) read larger batches, at most maxScan a page.
  const filtered = matched !== undefined || (rest.entityId !== undefined && rest.type !== undefined);
  const batchSize = filtered ? Math.min(Math.max(want * 4, 100), 1000) : want;
  const found: EventPage['events'] = [];
  let position = opts.after ?? null;
  let scanned = 0;
  for (;;) {
    const batch = await eventBatch(models, { ...rest, until }, position, opts.order, batchSize);
    const counts = await notificationCounts(models, batch.events.filter((e) => !isCounted(e)).map((e) => e._id));
    for (const e of batch.events) {
      const notificationCount = isCounted(e) ? e.notificationCount! : (counts.get(e._id) ?? 0);
      if (matched === undefined || matched === notificationCount > 0) {
        if (found.length === opts.limit) return { events: found, next: positionOf(found[found.length - 1]) };
        found.push({ ...e, notificationCount });
      }
    }
    position = batch.last ?? position;
    scanned += batch.read;
    if (batch.read < batchSize) return { events: found, next: null };
    if (scanned >= maxScan) return { events: found, next: position };
  }
}
