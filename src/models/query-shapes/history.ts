/**
 * The history's query shapes: the notification and event lists, their entity links, reads by id.
 * See src/models/query-shapes.ts.
 */
import type { IndexKeys, QueryShape } from '../query-shapes';
import { X } from './examples';

const fifty = (prefix: string) => Array.from({ length: 50 }, (_, i) => `${prefix}_0m9z5k2a1${String(i).padStart(16, '0')}`);

const NOTIFICATION_LIST: QueryShape[] = [
  ['all', {}, { accountId: 1, _id: -1 }],
  ['byStatus', { status: 'failed' }, { accountId: 1, status: 1, _id: -1 }],
  ['byWebhook', { webhookId: X.wh }, { accountId: 1, webhookId: 1, _id: -1 }],
  ['byWebhookAndStatus', { webhookId: X.wh, status: 'failed' }, { accountId: 1, webhookId: 1, status: 1, _id: -1 }],
  ['byEvent', { eventId: X.evt }, { accountId: 1, eventId: 1, _id: -1 }],
  ['byEventType', { eventType: 'loan.disbursed' }, { accountId: 1, eventType: 1, _id: -1 }],
  ['byDestinationHost', { destinationHost: 'crm.example.com' }, { accountId: 1, destinationHost: 1, _id: -1 }],
  ['byStatusCode', { lastStatusCode: 503 }, { accountId: 1, lastStatusCode: 1, _id: -1 }],
  ['byErrorKind', { lastErrorKind: 'timeout' }, { accountId: 1, lastErrorKind: 1, _id: -1 }],
].map(([name, filter, index]) => ({
  name: `notifications.list.${name as string}`,
  model: 'Notification' as const,
  usedBy: 'src/history/notification-list.ts',
  // A page after a cursor and within since/until: a range on the time-ordered `_id`.
  filter: { ...(filter as object), _id: { $lt: X.ntf, $gte: 'ntf_0m9z' } },
  sort: { _id: -1 as const },
  limit: 51,
  index: index as IndexKeys,
}));

/** GET /v1/events and the replay: pages of (createdAt, _id), newest or oldest first (src/models/event-filter.ts). */
const EVENT_LIST: QueryShape[] = [
  ['all', {}, { accountId: 1, createdAt: -1, _id: -1 }],
  ['byType', { type: 'loan.disbursed' }, { accountId: 1, type: 1, createdAt: -1, _id: -1 }],
].flatMap(([name, filter, index]): QueryShape[] => [
  {
    name: `events.list.${name as string}`,
    model: 'Event' as const,
    usedBy: 'src/models/event-filter.ts',
    filter: { ...(filter as object), createdAt: { $gte: X.at, $lt: X.later } },
    sort: { createdAt: -1 as const, _id: -1 as const },
    limit: 51,
    index: index as IndexKeys,
  },
  {
    // After a cursor: the rest of its millisecond, by id.
    name: `events.list.${name as string}.sameTime`,
    model: 'Event' as const,
    usedBy: 'src/models/event-filter.ts',
    filter: { ...(filter as object), createdAt: X.at, _id: { $lt: X.evt } },
    sort: { _id: -1 as const },
    limit: 51,
    index: index as IndexKeys,
  },
]);

export const HISTORY_SHAPES: readonly QueryShape[] = [
  ...NOTIFICATION_LIST,
  {
    name: 'notifications.byId',
    model: 'Notification',
    usedBy: 'src/routes/notifications.ts, activities/',
    filter: { _id: X.ntf },
    index: { _id: 1 },
  },
  {
    name: 'notifications.byIds',
    model: 'Notification',
    usedBy: 'src/history/notification-list.ts (a page of an entity)',
    // A page of 50: SQLite alone took an accountId index over 50 ids (the embedded planner names the _id index).
    filter: { _id: { $in: fifty('ntf') } },
    index: { _id: 1 },
  },
  {
    name: 'notifications.ofEvents',
    model: 'Notification',
    usedBy: 'src/models/event-filter.ts (matched, notificationCount), src/ingest.ts (an event\'s notifications)',
    filter: { eventId: { $in: [X.evt] } },
    index: { accountId: 1, eventId: 1, _id: -1 },
  },
  {
    name: 'entityLinks.notifications',
    model: 'EntityLink',
    usedBy: 'src/history/notification-list.ts',
    filter: { entityId: 'loan-7', kind: 'ntf', ref: { $lt: X.ntf, $gte: 'ntf_0m9z' } },
    sort: { ref: -1 },
    limit: 51,
    index: { accountId: 1, entityId: 1, kind: 1, ref: -1 },
  },
  {
    name: 'entityLinks.events',
    model: 'EntityLink',
    usedBy: 'src/models/event-filter.ts',
    filter: { entityId: 'loan-7', kind: 'evt', at: { $gte: X.at, $lt: X.later }, ref: { $gt: '' } },
    sort: { at: -1, ref: -1 },
    limit: 51,
    index: { accountId: 1, entityId: 1, kind: 1, at: -1, ref: -1 },
  },
  {
    name: 'entityLinks.events.sameTime',
    model: 'EntityLink',
    usedBy: 'src/models/event-filter.ts',
    filter: { entityId: 'loan-7', kind: 'evt', at: X.at, ref: { $lt: X.evt } },
    sort: { ref: -1 },
    limit: 51,
    index: { accountId: 1, entityId: 1, kind: 1, at: -1, ref: -1 },
  },
  ...EVENT_LIST,
  {
    name: 'events.byId',
    model: 'Event',
    usedBy: 'src/routes/events.ts, activities/',
    filter: { _id: X.evt },
    index: { _id: 1 },
  },
  {
    name: 'events.byIds',
    model: 'Event',
    usedBy: 'src/models/event-filter.ts (a page of an entity)',
    filter: { _id: { $in: fifty('evt') } },
    index: { _id: 1 },
  },
];

