/**
 * The workers' and background jobs' query shapes: the dispatch sweeper, the delivery activities'
 * reads and writes of one notification, stopping and resending many, the circuit and its
 * permits, the flow-control housekeeping, the health view and the metrics read at scrape time.
 * Each background read is bounded (a limit, or pages) and served by an index; updates and deletes
 * count as the find of their filter. See src/models/query-shapes.ts.
 */
import type { QueryShape } from '../query-shapes';
import { byId, X } from './examples';

const PERMIT = `${X.wh}:c:0`;

export const BACKGROUND_SHAPES: readonly QueryShape[] = [
  // The dispatch sweeper: events whose fan-out did not finish, and operational events not yet emitted.
  {
    name: 'events.undispatched',
    model: 'Event',
    usedBy: 'src/dispatch-sweeper.ts',
    filter: { dispatchedAt: null, createdAt: { $lte: X.at } },
    limit: 100,
    acrossAccounts: true,
    index: { dispatchedAt: 1, createdAt: 1 },
  },
  byId('events.dispatched', 'Event', 'src/dispatch-marks.ts, src/replay.ts, src/stream/log.ts (updates by id)', { $in: [X.evt, 'evt_1'] }),
  {
    name: 'pendingOperationalEvents.due',
    model: 'PendingOperationalEvent',
    usedBy: 'src/dispatch-sweeper.ts',
    filter: { createdAt: { $lte: X.at } },
    sort: { createdAt: 1 },
    limit: 100,
    acrossAccounts: true,
    index: { createdAt: 1 },
  },
  byId('pendingOperationalEvents.byId', 'PendingOperationalEvent', 'src/notification-failed.ts', 'ntf_x:key'),

  // A notification's delivery: every read and write by its id.
  byId('notifications.attempt', 'Notification', 'activities/prepare.ts, attempt.ts, deliver.ts, first-attempt.ts, src/delivery/record-attempt.ts, src/notification-failed.ts, src/cli/*', X.ntf),
  ...(['pending', 'retrying'] as const).flatMap((status): QueryShape[] => [
    {
      // Stop: the open notifications of the account, a page at a time (one status, newest first).
      name: `notifications.open.${status}`,
      model: 'Notification',
      usedBy: 'src/delivery/stop.ts',
      filter: { status, _id: { $lt: X.ntf } },
      sort: { _id: -1 },
      limit: 500,
      index: { accountId: 1, status: 1, _id: -1 },
    },
    {
      name: `notifications.open.${status}.ofWebhook`,
      model: 'Notification',
      usedBy: 'src/delivery/stop.ts',
      filter: { webhookId: X.wh, status, _id: { $lt: X.ntf } },
      sort: { _id: -1 },
      limit: 500,
      index: { accountId: 1, webhookId: 1, status: 1, _id: -1 },
    },
  ]),
  {
    name: 'notifications.failed',
    model: 'Notification',
    usedBy: 'src/delivery/resend.ts (bulk resend, herald resend --failed; its count in src/cli/resend.ts)',
    filter: { status: 'failed', _id: { $lt: X.ntf, $gte: 'ntf_0m9z' } },
    sort: { _id: -1 },
    limit: 200,
    index: { accountId: 1, status: 1, _id: -1 },
  },
  {
    name: 'notifications.failed.ofWebhook',
    model: 'Notification',
    usedBy: 'src/delivery/resend.ts (--webhook)',
    filter: { webhookId: X.wh, status: 'failed', _id: { $lt: X.ntf, $gte: 'ntf_0m9z' } },
    sort: { _id: -1 },
    limit: 200,
    index: { accountId: 1, webhookId: 1, status: 1, _id: -1 },
  },
  {
    // --event-type: the type's range in _id order, the status checked by SQL on the rows it reads (no
    // (eventType, status) index): reads the type's notifications between two failed ones.
    name: 'notifications.failed.ofEventType',
    model: 'Notification',
    usedBy: 'src/delivery/resend.ts (--event-type)',
    filter: { eventType: 'loan.disbursed', status: 'failed', _id: { $lt: X.ntf, $gte: 'ntf_0m9z' } },
    sort: { _id: -1 },
    limit: 200,
    index: { accountId: 1, status: 1, _id: -1 },
  },
  {
    // GET /v1/webhooks/:id: the last 15 minutes' attempts, from at most 2,000 notifications updated in them.
    name: 'notifications.recentOfWebhook',
    model: 'Notification',
    usedBy: 'src/flow-control/health-view.ts',
    filter: { webhookId: X.wh, updatedAt: { $gte: X.at } },
    sort: { updatedAt: -1 },
    limit: 2000,
    index: { accountId: 1, webhookId: 1, updatedAt: -1 },
  },

  // The circuit: one health document per webhook, by its id.
  byId('webhookHealth.byId', 'WebhookHealth', 'src/flow-control/endpoint-health.ts, src/routes/webhooks.ts', X.wh),
  byId('webhookHealth.byIds', 'WebhookHealth', 'src/flow-control/health-view.ts, src/flow-control/housekeeping.ts', { $in: [X.wh, 'wh_1'] }),
  {
    name: 'webhookHealth.page',
    model: 'WebhookHealth',
    usedBy: 'src/flow-control/housekeeping.ts (every health document, a page at a time)',
    filter: { _id: { $gt: X.wh } },
    sort: { _id: 1 },
    limit: 500,
    acrossAccounts: true,
    index: { _id: 1 },
  },
  {
    name: 'webhookHealth.notClosed',
    model: 'WebhookHealth',
    usedBy: 'src/metrics.ts (herald_webhook_circuit_state)',
    filter: { state: { $in: ['open', 'half-open'] } },
    acrossAccounts: true,
    index: { state: 1 },
  },

  // Delivery permits (not account-scoped): per webhook and kind, and by kind for the housekeeping.
  {
    name: 'deliveryPermits.ofWebhook',
    model: 'DeliveryPermit',
    usedBy: 'src/flow-control/limits.ts (a rate window, the leases), src/flow-control/endpoint-health.ts, src/flow-control/housekeeping.ts',
    filter: { webhookId: X.wh, kind: 'rate', n: 29_000_000 },
    acrossAccounts: true,
    index: { webhookId: 1, kind: 1, n: 1 },
  },
  {
    name: 'deliveryPermits.ofWebhooks',
    model: 'DeliveryPermit',
    usedBy: 'src/flow-control/housekeeping.ts (the permits of deleted webhooks)',
    filter: { webhookId: { $in: [X.wh, 'wh_1'] }, kind: 'lease' },
    acrossAccounts: true,
    index: { webhookId: 1, kind: 1, n: 1 },
  },
  {
    name: 'deliveryPermits.nextWebhook',
    model: 'DeliveryPermit',
    usedBy: 'src/flow-control/housekeeping.ts (the webhooks that hold permits, one probe each)',
    filter: { webhookId: { $gt: X.wh } },
    sort: { webhookId: 1 },
    limit: 1,
    acrossAccounts: true,
    index: { webhookId: 1, kind: 1, n: 1 },
  },
  ...(['report', 'lease', 'probe', 'takeover'] as const).map(
    (kind): QueryShape => ({
      name: `deliveryPermits.expired.${kind}`,
      model: 'DeliveryPermit',
      usedBy: 'src/flow-control/housekeeping.ts',
      filter: { kind, until: { $lt: X.at } },
      acrossAccounts: true,
      index: { kind: 1, until: 1 },
    }),
  ),
  {
    // Rate permits: the window number is checked on the few the index range holds (numbers are compared in memory).
    name: 'deliveryPermits.rate',
    model: 'DeliveryPermit',
    usedBy: 'src/flow-control/housekeeping.ts (ended rate windows)',
    filter: { kind: 'rate' },
    acrossAccounts: true,
    index: { kind: 1, until: 1 },
  },
  byId('deliveryPermits.byId', 'DeliveryPermit', 'src/flow-control/permits.ts, src/flow-control/limits.ts, src/flow-control/housekeeping.ts', PERMIT, {}, true),
];
