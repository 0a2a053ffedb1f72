/** `/v1/notifications`: the communication history, newest first, with filters and cursors. */
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { notFound } from '../errors';
import { parseQuery } from '../http/validate';
import { afterCursor, page, pageQuery } from '../http/pagination';
import { NOTIFICATION_STATUSES, type NotificationDoc } from '../models/notification';

const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s));

export const notificationFilterSchema = z.object({
  status: z.enum(NOTIFICATION_STATUSES, { message: `must be one of ${NOTIFICATION_STATUSES.join(', ')}` }).optional(),
  webhookId: z.string().min(1).optional(),
  eventId: z.string().min(1).optional(),
  eventType: z.string().min(1).optional(),
  since: isoDate.optional(),
  until: isoDate.optional(),
});

export type NotificationFilter = z.output<typeof notificationFilterSchema>;

export function notificationQuery(f: NotificationFilter): Record<string, unknown> {
  const q: Record<string, unknown> = {};
  if (f.status) q.status = f.status;
  if (f.webhookId) q.webhookId = f.webhookId;
  if (f.eventId) q.eventId = f.eventId;
  if (f.eventType) q.eventType = f.eventType;
  if (f.since || f.until) q.createdAt = { ...(f.since ? { $gte: f.since } : {}), ...(f.until ? { $lte: f.until } : {}) };
  return q;
}

export function notificationsRouter(deps: AppDeps): Router {
  const router = Router();
  const { Notification } = deps.models;

  router.get('/', async (req, res) => {
    const q = parseQuery(notificationFilterSchema.extend(pageQuery.shape), req.query);
    const docs = await Notification.find(afterCursor(notificationQuery(q), q.cursor), { 'attempts.responseBody': 0, 'request.body': 0 })
      .sort({ _id: -1 })
      .limit(q.limit + 1)
      .lean();
    const { items, nextCursor } = page(docs, q.limit);
    res.json({ data: items.map((n) => notificationView(n, { summary: true })), nextCursor });
  });

  router.get('/:id', async (req, res) => {
    const doc = await Notification.findById(req.params.id).lean();
    if (!doc) throw notFound('Notification');
    res.json(notificationView(doc));
  });

  return router;
}

export function notificationView(n: NotificationDoc & { _id: string; createdAt?: Date; updatedAt?: Date }, opts: { summary?: boolean } = {}) {
  return {
    id: n._id,
    eventId: n.eventId,
    eventType: n.eventType,
    webhookId: n.webhookId,
    webhookName: n.webhookName,
    status: n.status,
    request: opts.summary ? (n.request ? { method: n.request.method, url: n.request.url } : null) : n.request,
    attempts: opts.summary ? undefined : (n.attempts ?? []),
    attemptCount: n.attemptCount,
    nextAttemptAt: n.nextAttemptAt,
    createdAt: n.createdAt,
    updatedAt: n.updatedAt,
    sentAt: n.sentAt,
    failedAt: n.failedAt,
    workflowId: n.workflowId,
    warnings: opts.summary ? undefined : n.warnings,
  };
}
