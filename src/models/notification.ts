/**
 * One notification: one event for one webhook. `request` is the snapshot rendered once at
 * send-out (credentials redacted); every attempt and every resend sends it, never a re-render.
 * Attempts are embedded: reading the history is one document, recording an attempt one update.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

import { DELIVERY_STATUSES, HOLD_REASONS, STOP_REASONS, type DeliveryStatus } from '../../workflows/status';

export const NOTIFICATION_STATUSES = DELIVERY_STATUSES;
export type NotificationStatus = DeliveryStatus;

// `configuration`: Herald could not build the request (a credential names an undefined variable).
export const ATTEMPT_ERROR_KINDS = ['http_status', 'timeout', 'connection', 'tls', 'blocked', 'configuration'] as const;
export type AttemptErrorKind = (typeof ATTEMPT_ERROR_KINDS)[number];

const attemptSchema = new Schema(
  {
    number: { type: Number, required: true },
    trigger: { type: String, enum: ['automatic', 'manual'], required: true },
    idempotencyKey: { type: String, required: true },
    startedAt: { type: Date, required: true },
    finishedAt: { type: Date, required: true },
    durationMs: { type: Number, required: true },
    statusCode: { type: Number, default: undefined },
    responseHeaders: { type: Schema.Types.Mixed, default: undefined },
    responseBody: { type: String, default: undefined },
    error: {
      type: new Schema({ kind: { type: String, enum: ATTEMPT_ERROR_KINDS }, message: String }, { _id: false }),
      default: undefined,
    },
  },
  { _id: false },
);

const requestSchema = new Schema(
  {
    method: { type: String, required: true },
    url: { type: String, required: true },
    headers: { type: Schema.Types.Mixed, default: {} },
    body: { type: String, default: '' },
  },
  { _id: false },
);

export const notificationSchema = new Schema(
  {
    _id: { type: String, required: true },
    eventId: { type: String, required: true },
    eventType: { type: String, required: true },
    webhookId: { type: String, required: true },
    webhookName: { type: String, required: true },
    status: { type: String, enum: NOTIFICATION_STATUSES, default: 'pending' },
    request: { type: requestSchema, default: null },
    /** Render warnings (missing data paths), kept for the audit trail. */
    warnings: { type: [String], default: [] },
    attempts: { type: [attemptSchema], default: [] },
    attemptCount: { type: Number, default: 0 },
    /** The last recorded attempt's HTTP status and error kind (null: none), so the history filters on them. */
    lastStatusCode: { type: Number, default: undefined },
    lastErrorKind: { type: String, default: undefined },
    nextAttemptAt: { type: Date, default: null },
    /** The automatic round waits for the webhook's circuit breaker or limits, not for a backoff. */
    heldReason: { type: String, enum: [...HOLD_REASONS, null], default: null },
    sentAt: { type: Date, default: null },
    failedAt: { type: Date, default: null },
    /** Set when automatic attempts were stopped (status `cancelled`): why, and when. */
    cancelReason: { type: String, enum: [...STOP_REASONS, null], default: null },
    cancelledAt: { type: Date, default: null },
    /** The event's entities and the rendered URL's host, so the history answers "everything about loan-7". */
    entityIds: { type: [String], default: [] },
    destinationHost: { type: String, default: null },
    workflowId: { type: String, required: true },
  },
  { timestamps: true, minimize: false, versionKey: false },
);

// The history's lists, newest first (ids sort by creation time, so since/until and cursors are
// `_id` ranges): one index per filter the API serves (src/models/query-shapes.ts says which query
// each serves). Entities are served by src/models/entity-link.ts, not a multikey index.
notificationSchema.plugin(accountScoped);
notificationSchema.index({ accountId: 1, _id: -1 });
notificationSchema.index({ accountId: 1, status: 1, _id: -1 });
notificationSchema.index({ accountId: 1, webhookId: 1, _id: -1 });
// "Failed for this webhook": the bulk resend's and the operator's most common question.
notificationSchema.index({ accountId: 1, webhookId: 1, status: 1, _id: -1 });
notificationSchema.index({ accountId: 1, eventId: 1, _id: -1 });
notificationSchema.index({ accountId: 1, eventType: 1, _id: -1 });
notificationSchema.index({ accountId: 1, destinationHost: 1, _id: -1 });
notificationSchema.index({ accountId: 1, lastStatusCode: 1, _id: -1 });
notificationSchema.index({ accountId: 1, lastErrorKind: 1, _id: -1 });
// Retention: an account's notifications whose round is over, idle since the cutoff (src/retention.ts).
notificationSchema.index({ accountId: 1, status: 1, updatedAt: 1 });
// A webhook's recent attempts (GET /v1/webhooks/:id, src/flow-control/health-view.ts).
notificationSchema.index({ accountId: 1, webhookId: 1, updatedAt: -1 });

export type NotificationDoc = InferSchemaType<typeof notificationSchema>;
export type AttemptDoc = NotificationDoc['attempts'][number];
export type NotificationModel = Model<NotificationDoc>;

export function notificationModel(conn: Connection): NotificationModel {
  return conn.model<NotificationDoc>('Notification', notificationSchema, 'notifications');
}

/** The notification fields an attempt reads: one indexed read. */
export const ATTEMPT_PROJECTION = {
  request: 1,
  webhookId: 1,
  eventId: 1,
  eventType: 1,
  status: 1,
  attemptCount: 1,
  'attempts.idempotencyKey': 1,
} as const;

export type LoadedNotification = Pick<NotificationDoc, 'request' | 'webhookId' | 'eventId' | 'eventType' | 'status' | 'attemptCount'> & {
  _id: string;
  attempts?: Array<{ idempotencyKey: string }>;
};
