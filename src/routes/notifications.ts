/**
 * `/v1/notifications`: the communication history, newest first, with filters and cursors; and
 * resends — one (`/{id}/resend`) or many by filter (`/resend`, done by a bulk-resend workflow so
 * thousands of matches never time out the request).
 */
import { Router } from 'express';
import { jobView } from '../http/job-view';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { HeraldError, ErrorCodes, notFound, unavailable } from '../errors';
import { parseBody, parseQuery } from '../http/validate';
import { pageQuery } from '../http/pagination';
import { listNotifications } from '../history/notification-list';
import { publicEventId } from '../accounts/event-ids';
import { newId } from '../ids';
import { ATTEMPT_ERROR_KINDS, NOTIFICATION_STATUSES, type NotificationDoc } from '../models/notification';
import { notificationQuery } from '../models/notification-filter';
import { resendQuery } from '../delivery/resend';
import { signalResend, startBulkResend } from '../temporal';
import { bulkResendWorkflowId, type BulkResendResult } from '../../workflows/shared';
import { canResend } from '../../workflows/status';

const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s));
const status = z.enum(NOTIFICATION_STATUSES, { message: `must be one of ${NOTIFICATION_STATUSES.join(', ')}` });

export const notificationFilterSchema = z.object({
  status: status.optional(),
  webhookId: z.string().min(1).optional(),
  eventId: z.string().min(1).optional(),
  eventType: z.string().min(1).optional(),
  entityId: z.string().min(1).optional(),
  destinationHost: z.string().min(1).optional(),
  statusCode: z.coerce.number().int('must be a whole number').min(100, 'must be an HTTP status (100-599)').max(599, 'must be an HTTP status (100-599)').optional(),
  errorKind: z.enum(ATTEMPT_ERROR_KINDS, { message: `must be one of ${ATTEMPT_ERROR_KINDS.join(', ')}` }).optional(),
  since: isoDate.optional(),
  until: isoDate.optional(),
});

export const resendOneSchema = z.object({ reason: z.string().max(500, 'must be at most 500 characters').optional() }).strict();

export const bulkResendSchema = z
  .object({
    status: status.optional(),
    webhookId: z.string().min(1).optional(),
    eventType: z.string().min(1).optional(),
    since: isoDate.optional(),
    until: isoDate.optional(),
  })
  .strict()
  // An empty filter would resend the whole history: almost always a mistake.
  .refine((f) => Object.values(f).some((v) => v !== undefined), { message: 'give at least one of status, webhookId, eventType, since, until' });

export { notificationQuery };

/** The list's page: its cursor carries a tag of the filter it was made for (src/history/notification-list.ts). */
const listPageQuery = pageQuery.extend({
  cursor: z.string().regex(/^[a-z]+_[0-9a-z]+(\.[0-9a-f]{10})?$/, 'must be a cursor returned by a previous page').optional(),
});

export function notificationsRouter(deps: AppDeps): Router {
  const router = Router();
  const { Notification } = deps.models;

  router.get('/', async (req, res) => {
    const q = parseQuery(notificationFilterSchema.extend(listPageQuery.shape), req.query);
    const { items, nextCursor } = await listNotifications(deps.models, q, { attempts: 0, 'request.body': 0, 'request.headers': 0 });
    res.json({ data: items.map((n) => notificationView(n as unknown as Parameters<typeof notificationView>[0], { summary: true })), nextCursor });
  });

  router.post('/resend', async (req, res) => {
    const filter = parseBody(bulkResendSchema, req.body);
    const notAfter = new Date();
    const query = resendQuery(filter, notAfter);
    const [matched, resendable] = await Promise.all([
      Notification.countDocuments(query),
      Notification.countDocuments({ ...query, $or: [{ request: { $ne: null } }, { status: { $ne: 'failed' } }] }),
    ]);
    if (matched === 0) {
      res.status(202).json({ matched: 0, resent: 0, jobId: null });
      return;
    }
    const jobId = newId('job');
    try {
      await startBulkResend(
        deps.temporal,
        jobId,
        {
          status: filter.status,
          webhookId: filter.webhookId,
          eventType: filter.eventType,
          since: filter.since?.toISOString(),
          until: filter.until?.toISOString(),
          notAfter: notAfter.toISOString(),
        },
        matched,
      );
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'could not start a bulk resend');
      throw unavailable('Temporal is unreachable; nothing was resent, try again');
    }
    res.status(202).json({ matched, resent: resendable, jobId });
  });

  router.get('/resend/:jobId', async (req, res) => {
    res.json(await jobView<BulkResendResult>(deps.temporal, bulkResendWorkflowId(req.params.jobId), req.params.jobId, 'Resend job'));
  });

  router.get('/:id', async (req, res) => {
    const doc = await Notification.findById(req.params.id).lean();
    if (!doc) throw notFound('Notification');
    res.json(notificationView(doc));
  });

  router.post('/:id/resend', async (req, res) => {
    const args = parseBody(resendOneSchema, req.body);
    const doc = await Notification.findById(req.params.id, { webhookId: 1, eventType: 1, status: 1, workflowId: 1, 'request.method': 1, 'request.url': 1 }).lean();
    if (!doc) throw notFound('Notification');
    if (!canResend({ status: doc.status, hasSnapshot: Boolean(doc.request) })) {
      throw new HeraldError(409, ErrorCodes.conflict, 'This notification has no rendered request to resend (its template failed to render)');
    }
    try {
      await signalResend(deps.temporal, { id: doc._id, webhookId: doc.webhookId, eventType: doc.eventType, status: doc.status, method: doc.request?.method, url: doc.request?.url }, args);
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message, notificationId: doc._id }, 'could not signal a resend');
      throw unavailable('Temporal is unreachable; the resend was not accepted, try again');
    }
    res.status(202).json({ id: doc._id, workflowId: doc.workflowId, status: 'accepted' });
  });

  return router;
}

export function notificationView(n: NotificationDoc & { _id: string; createdAt?: Date; updatedAt?: Date }, opts: { summary?: boolean } = {}) {
  return {
    id: n._id,
    eventId: publicEventId(n.eventId),
    eventType: n.eventType,
    webhookId: n.webhookId,
    webhookName: n.webhookName,
    status: n.status,
    request: opts.summary ? (n.request ? { method: n.request.method, url: n.request.url } : null) : n.request,
    attempts: opts.summary ? undefined : (n.attempts ?? []),
    attemptCount: n.attemptCount,
    lastStatusCode: n.lastStatusCode ?? null,
    lastErrorKind: n.lastErrorKind ?? null,
    nextAttemptAt: n.nextAttemptAt,
    heldReason: n.heldReason ?? null,
    createdAt: n.createdAt,
    updatedAt: n.updatedAt,
    sentAt: n.sentAt,
    failedAt: n.failedAt,
    cancelledAt: n.cancelledAt ?? null,
    cancelReason: n.cancelReason ?? null,
    entityIds: n.entityIds ?? [],
    destinationHost: n.destinationHost ?? null,
    workflowId: n.workflowId,
    warnings: opts.summary ? undefined : n.warnings,
  };
}
