/**
 * The retention purge's and dry run's query shapes (src/retention.ts, src/stream/trim.ts): the
 * accounts holding data (one probe each), each account's expired notifications and old events as
 * index ranges, what an event's notifications keep, and the deletes by id with the entity links
 * of what goes. See src/models/query-shapes.ts.
 */
import type { QueryShape } from '../query-shapes';
import { X } from './examples';

const FINAL = ['sent', 'failed', 'cancelled'];
const WRITTEN = new Date(1_000_000_000_000);

export const RETENTION_SHAPES: readonly QueryShape[] = [
  // The accounts with data: the next accountId after the last one, one index entry each.
  ...([
    ['Notification', { accountId: 1, _id: -1 }],
    ['Event', { accountId: 1, dedupeKey: 1 }],
    ['StreamOffsetClaim', { accountId: 1, at: 1 }],
  ] as const).map(
    ([model, index]): QueryShape => ({
      name: `retention.nextAccount.${model}`,
      model,
      usedBy: 'src/retention.ts (accountsWithData)',
      filter: { accountId: { $gt: 'acc_1' } },
      sort: { accountId: 1 },
      limit: 1,
      acrossAccounts: true,
      index,
    }),
  ),
  {
    name: 'notifications.purgeable',
    model: 'Notification',
    usedBy: 'src/retention.ts (the purge and the dry run, per account)',
    filter: { status: { $in: FINAL }, updatedAt: { $lt: X.at } },
    limit: 500,
    index: { accountId: 1, status: 1, updatedAt: 1 },
  },
  {
    name: 'notifications.purge',
    model: 'Notification',
    usedBy: 'src/retention.ts (the delete: the same conditions, by id)',
    filter: { _id: { $in: [X.ntf, 'ntf_1'] }, status: { $in: FINAL }, updatedAt: { $lt: X.at } },
    index: { _id: 1 },
  },
  {
    name: 'events.old',
    model: 'Event',
    usedBy: 'src/retention.ts (the purge and the dry run, per account, oldest first)',
    filter: { createdAt: { $gt: X.at, $lt: X.later }, dispatchedAt: { $gte: WRITTEN } },
    sort: { createdAt: 1, _id: 1 },
    limit: 500,
    index: { accountId: 1, createdAt: -1, _id: -1 },
  },
  {
    name: 'events.old.sameTime',
    model: 'Event',
    usedBy: 'src/retention.ts (the rest of a position\'s millisecond)',
    filter: { createdAt: X.at, _id: { $gt: X.evt }, dispatchedAt: { $gte: WRITTEN } },
    sort: { _id: 1 },
    limit: 500,
    index: { accountId: 1, createdAt: -1, _id: -1 },
  },
  {
    name: 'events.purge',
    model: 'Event',
    usedBy: 'src/retention.ts (the delete, by id)',
    filter: { _id: { $in: [X.evt, 'evt_1'] }, createdAt: { $lt: X.at } },
    index: { _id: 1 },
  },
  ...([
    ['open', { status: { $in: ['pending', 'retrying'] } }, { accountId: 1, status: 1, _id: -1 }],
    ['active', { updatedAt: { $gte: X.at } }, { accountId: 1, eventId: 1, _id: -1 }],
  ] as const).map(
    ([name, condition, index]): QueryShape => ({
      name: `notifications.keptOfEvents.${name}`,
      model: 'Notification',
      usedBy: 'src/retention.ts (the dry run: which old events keep a notification)',
      filter: { eventId: { $in: [X.evt, 'evt_1'] }, ...condition },
      index,
    }),
  ),
  {
    name: 'entityLinks.ofRefs',
    model: 'EntityLink',
    usedBy: 'src/retention.ts (the links of what the purge deleted)',
    filter: { ref: { $in: [X.ntf, X.evt] } },
    index: { accountId: 1, ref: 1 },
  },
];
