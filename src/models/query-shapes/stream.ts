/**
 * The Streaming API's query shapes: the stream log (offset claims and floors), subscriptions,
 * cursors and sessions. Readers follow the log by `_id` (claims are `<account>:<partition>:<offset>`)
 * and read events by id; the end of a partition is the top of its (accountId, partition, offset)
 * index; the retention trims claims from an (accountId, at) range. A stream's admission slot is a
 * lease permit (delivery_permits, across accounts) found by its subscription or its `_id`. See
 * src/models/query-shapes.ts.
 */
import type { QueryShape } from '../query-shapes';
import { byId, X } from './examples';

const SUB = 'ssub_0m9z5k2a10000000000000000';

export const STREAM_SHAPES: readonly QueryShape[] = [
  byId('streamOffsetClaims.byIds', 'StreamOffsetClaim', 'src/stream/log.ts, src/stream/log-reader.ts, src/stream/trim.ts', { $in: ['default:0:1', 'default:0:2'] }),
  {
    name: 'streamOffsetClaims.last',
    model: 'StreamOffsetClaim',
    usedBy: 'src/stream/log.ts (a partition\'s end)',
    filter: { partition: 3, at: { $lte: X.later } },
    sort: { at: -1 },
    limit: 1,
    index: { accountId: 1, partition: 1, at: -1 },
  },
  {
    name: 'streamOffsetClaims.old',
    model: 'StreamOffsetClaim',
    usedBy: 'src/stream/trim.ts (the retention, per account)',
    filter: { at: { $lt: X.at } },
    sort: { at: 1 },
    limit: 1000,
    index: { accountId: 1, at: 1 },
  },
  byId('streamLogFloors.byIds', 'StreamLogFloor', 'src/stream/trim.ts', { $in: ['default:0', 'default:1'] }),
  {
    // Events read by the log: by id, a chunk at a time.
    name: 'events.ofLog',
    model: 'Event',
    usedBy: 'src/stream/log-reader.ts',
    filter: { _id: { $in: [X.evt, 'evt_1'] } },
    index: { _id: 1 },
  },

  { name: 'streamSubscriptions.byKey', model: 'StreamSubscription', usedBy: 'src/stream/subscriptions.ts', filter: { key: 'k' }, index: { accountId: 1, key: 1 } },
  byId('streamSubscriptions.byId', 'StreamSubscription', 'src/stream/subscriptions.ts, src/routes/stream-subscriptions.ts (and a stream\'s authority check: does it still exist)', SUB),
  {
    name: 'streamSubscriptions.list',
    model: 'StreamSubscription',
    usedBy: 'src/routes/stream-subscriptions.ts (GET /v1/stream-subscriptions)',
    filter: { _id: { $lt: SUB } },
    sort: { _id: -1 },
    limit: 51,
    index: { accountId: 1, _id: -1 },
  },

  {
    name: 'streamCursors.ofSubscription',
    model: 'StreamCursor',
    usedBy: 'src/stream/subscriptions.ts, src/stream/stats.ts',
    filter: { subscriptionId: { $in: [SUB, 'ssub_1'] } },
    index: { accountId: 1, subscriptionId: 1, partition: 1 },
  },
  byId('streamCursors.commit', 'StreamCursor', 'src/stream/commit.ts', `${SUB}:0`, { offset: { $lt: 12 } }),
  {
    name: 'streamCursors.page',
    model: 'StreamCursor',
    usedBy: 'src/metrics.ts (herald_stream_lag_events: every cursor, a page at a time)',
    filter: { _id: { $gt: `${SUB}:0` } },
    sort: { _id: 1 },
    limit: 1000,
    acrossAccounts: true,
    index: { _id: 1 },
  },

  {
    name: 'streamSessions.live',
    model: 'StreamSession',
    usedBy: 'src/stream/sessions.ts, src/stream/stats.ts',
    filter: { subscriptionId: { $in: [SUB, 'ssub_1'] }, closedAt: null, heartbeatAt: { $gt: X.at } },
    index: { accountId: 1, subscriptionId: 1, heartbeatAt: 1 },
  },
  {
    name: 'streamSessions.stale',
    model: 'StreamSession',
    usedBy: 'src/stream/sessions.ts (sessions long dead), src/stream/subscriptions.ts (close them all)',
    filter: { subscriptionId: SUB, heartbeatAt: { $lt: X.at } },
    index: { accountId: 1, subscriptionId: 1, heartbeatAt: 1 },
  },
  byId('streamSessions.byId', 'StreamSession', 'src/stream/sessions.ts, src/stream/commit.ts', 'str_1', { subscriptionId: SUB }),

  {
    // A join's one read: which of the subscription's slots are held, and until when.
    name: 'deliveryPermits.streamSlots',
    model: 'DeliveryPermit',
    usedBy: 'src/stream/sessions.ts (joinStream)',
    filter: { webhookId: SUB, kind: 'lease', n: { $lt: 4 } },
    acrossAccounts: true,
    index: { webhookId: 1, kind: 1, n: 1 },
  },
  byId('deliveryPermits.streamSlotRenew', 'DeliveryPermit', 'src/stream/sessions.ts (heartbeat: the holder renews its unexpired slot)', `${SUB}:c:0`, { holder: 'stm_1', until: { $gt: X.at } }, true),
  byId('deliveryPermits.streamSlotRelease', 'DeliveryPermit', 'src/stream/sessions.ts (leaveStream), src/flow-control/limits.ts', `${SUB}:c:0`, { holder: 'stm_1' }, true),
];
