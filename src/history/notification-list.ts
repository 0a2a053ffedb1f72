/**
 * `GET /v1/notifications`: the communication history, newest first, answered from one index
 * whatever its size. Each filter the API documents, alone or `webhookId` with `status`, is one
 * registered query shape (src/models/query-shapes.ts); `since`/`until` and the cursor combine with
 * all of them, as ranges of the time-ordered `_id` (src/ids.ts); `entityId` is read from the
 * entity links. Any other combination is read from the index of its most selective filter, at
 * most MAX_SCAN notifications a page (listNotifications), never by a scan of the history.
 *
 * A cursor is the page's last id and a tag of the filter it was made for: a cursor used with
 * another filter is a 400 (it would skip or repeat notifications without saying so).
 */
import { createHash } from 'node:crypto';
import type { Models } from '../models';
import type { NotificationFilter } from '../models/notification-filter';
import { validationError } from '../errors';
import { queryShape } from '../models/query-shapes';
import { currentAccountId } from '../accounts/scope';
import { eventIdCandidates, publicEventId } from '../accounts/event-ids';

/** The filters of the list and the field each reads (the API's names are not the stored ones). */
const FIELDS = {
  status: 'status',
  webhookId: 'webhookId',
  eventId: 'eventId',
  eventType: 'eventType',
  destinationHost: 'destinationHost',
  statusCode: 'lastStatusCode',
  errorKind: 'lastErrorKind',
} as const satisfies Partial<Record<keyof NotificationFilter, string>>;

type Param = keyof typeof FIELDS | 'entityId';

/** Each combination served, by its sorted parameters, with the shape that serves it. */
const SERVED: Record<string, string> = {
  '': 'notifications.list.all',
  status: 'notifications.list.byStatus',
  webhookId: 'notifications.list.byWebhook',
  'status,webhookId': 'notifications.list.byWebhookAndStatus',
  eventId: 'notifications.list.byEvent',
  eventType: 'notifications.list.byEventType',
  destinationHost: 'notifications.list.byDestinationHost',
  statusCode: 'notifications.list.byStatusCode',
  errorKind: 'notifications.list.byErrorKind',
  entityId: 'entityLinks.notifications',
};

/** For the OpenAPI document: the combinations one index serves whole. */
export const SERVED_COMBINATIONS = Object.keys(SERVED).map((k) => (k ? k.split(',') : []));

export interface NotificationListQuery extends NotificationFilter {
  limit: number;
  cursor?: string;
}

/** The id bound of a time: every id made at or after `at` sorts at or after it. */
export function idAtTime(prefix: string, at: Date): string {
  return `${prefix}_${Math.max(0, at.getTime()).toString(36).padStart(9, '0')}`;
}

function filterTag(q: NotificationListQuery): string {
  const { limit: _limit, cursor: _cursor, ...filter } = q;
  const canonical = Object.entries(filter)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v instanceof Date ? v.toISOString() : String(v)}`)
    .join('&');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 10);
}

/** The page's last id, tagged with its filter. */
function encodeCursor(id: string, q: NotificationListQuery): string {
  return `${id}.${filterTag(q)}`;
}

function decodeCursor(q: NotificationListQuery): string | undefined {
  if (!q.cursor) return undefined;
  const [id, tag] = q.cursor.split('.');
  if (tag !== undefined && tag !== filterTag(q)) {
    throw validationError([{ path: 'cursor', message: 'was made for another filter: start again without a cursor, or keep the filter it was made for' }]);
  }
  return id;
}

/** The `_id` range of since/until and the cursor. */
function idRange(q: NotificationListQuery, prefix: string): Record<string, string> {
  const range: Record<string, string> = {};
  const after = decodeCursor(q);
  // until is inclusive: ids made within its millisecond sort below the next millisecond's bound.
  const untilBound = q.until ? idAtTime(prefix, new Date(q.until.getTime() + 1)) : undefined;
  const below = [after, untilBound].filter((v): v is string => v !== undefined).sort()[0];
  if (below !== undefined) range.$lt = below;
  if (q.since) range.$gte = idAtTime(prefix, q.since);
  return range;
}

/** The lead filter when no index serves the whole combination: the likely most selective first. */
const LEAD_ORDER: string[] = ['eventId', 'entityId', 'statusCode', 'errorKind', 'status,webhookId', 'webhookId', 'eventType', 'destinationHost', 'status'];

/** How many notifications one page of a combination may read past its lead index before answering. */
export const MAX_SCAN = 2000;

export interface ListPlan {
  /** The shape whose index leads. */
  shape: string;
  /** The parameters it serves; the others are checked on what it reads. */
  lead: Param[];
  rest: Param[];
}

/** Which index serves a query's filters: the whole combination when one does, else the lead one. */
export function listPlan(q: NotificationListQuery): ListPlan {
  const params = (Object.keys(FIELDS) as Param[]).concat('entityId').filter((p) => q[p as keyof NotificationFilter] !== undefined);
  const key = [...params].sort().join(',');
  if (SERVED[key]) return { shape: SERVED[key], lead: params, rest: [] };
  const leadKey = LEAD_ORDER.find((k) => k.split(',').every((p) => params.includes(p as Param)))!;
  const lead = leadKey.split(',') as Param[];
  return { shape: SERVED[leadKey], lead, rest: params.filter((p) => !lead.includes(p)) };
}

export interface ListedNotification {
  _id: string;
  [field: string]: unknown;
}

function matchesRest(n: ListedNotification, q: NotificationListQuery, rest: Param[]): boolean {
  return rest.every((p) => {
    if (p === 'entityId') return Array.isArray(n.entityIds) && (n.entityIds as string[]).includes(q.entityId!);
    if (p === 'eventId') return publicEventId(n.eventId as string) === q.eventId;
    return n[FIELDS[p]] === q[p];
  });
}

/**
 * One page of the list: `limit` notifications at most and the next page's cursor. A combination
 * no index serves whole reads its lead index in batches and keeps the matches, at most MAX_SCAN
 * notifications a page: a rare combination in a long history then answers a short (even empty)
 * page with a cursor to go on, in bounded time, as the events' `matched` filter does.
 */
export async function listNotifications(
  models: Pick<Models, 'Notification' | 'EntityLink'>,
  q: NotificationListQuery,
  projection: Record<string, 0 | 1>,
): Promise<{ items: ListedNotification[]; nextCursor: string | null }> {
  const plan = listPlan(q);
  const shape = queryShape(plan.shape);
  const want = q.limit + 1;
  const batchSize = plan.rest.length ? Math.min(Math.max(want * 4, 100), 500) : want;
  const range = idRange(q, 'ntf');
  const found: ListedNotification[] = [];
  let below: string | undefined;
  let scanned = 0;
  for (;;) {
    const r = below === undefined ? range : { ...range, $lt: below };
    const batch = await readBatch(models, q, plan, shape.sort!, r, batchSize, projection);
    for (const n of batch.docs) {
      if (matchesRest(n, q, plan.rest)) {
        if (found.length === q.limit) return { items: found, nextCursor: encodeCursor(found[found.length - 1]._id, q) };
        found.push(n);
      }
    }
    scanned += batch.read;
    below = batch.last;
    if (batch.read < batchSize || below === undefined) return { items: found, nextCursor: null };
    if (scanned >= MAX_SCAN) return { items: found, nextCursor: encodeCursor(below, q) };
  }
}

/** One batch of the lead index in `_id` order: the notifications, how many ids it read, the last id. */
async function readBatch(
  models: Pick<Models, 'Notification' | 'EntityLink'>,
  q: NotificationListQuery,
  plan: ListPlan,
  sort: Record<string, 1 | -1>,
  range: Record<string, string>,
  n: number,
  projection: Record<string, 0 | 1>,
): Promise<{ docs: ListedNotification[]; read: number; last: string | undefined }> {
  const idRangeFilter = Object.keys(range).length ? range : undefined;
  if (plan.lead.includes('entityId')) {
    const links = await models.EntityLink.find({ entityId: q.entityId, kind: 'ntf', ...(idRangeFilter ? { ref: idRangeFilter } : {}) }, { ref: 1 })
      .sort(sort)
      .limit(n)
      .lean();
    const ids = links.map((l) => l.ref);
    const found = ids.length ? ((await models.Notification.find({ _id: { $in: ids } }, projection).lean()) as ListedNotification[]) : [];
    const byId = new Map(found.map((d) => [d._id, d]));
    // A link whose notification is gone (retention between the two reads) is skipped.
    return { docs: ids.map((id) => byId.get(id)).filter((d): d is ListedNotification => d !== undefined), read: ids.length, last: ids[ids.length - 1] };
  }
  const filter: Record<string, unknown> = {};
  for (const param of plan.lead) filter[FIELDS[param as keyof typeof FIELDS]] = q[param as keyof NotificationFilter];
  // The event id as the API shows it: stored under the account's name if a client chose it (src/accounts/event-ids.ts).
  if (q.eventId !== undefined && plan.lead.includes('eventId')) filter.eventId = { $in: eventIdCandidates(currentAccountId(), q.eventId).concat('~') };
  if (idRangeFilter) filter._id = idRangeFilter;
  const docs = (await models.Notification.find(filter, projection).sort(sort).limit(n).lean()) as ListedNotification[];
  return { docs, read: docs.length, last: docs[docs.length - 1]?._id };
}
