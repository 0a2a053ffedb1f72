/**
 * `/v1/webhooks/{id}/subscriptions`: per-entity switches. On an opt-in webhook, `enabled: true`
 * switches an entity on; on an opt-out webhook, `enabled: false` switches it off. A switch is kept
 * when the webhook's targeting changes, so flipping back restores the old list.
 *
 * The list is ordered by entityId (the unique index), and the cursor is the last entityId of the
 * previous page, base64url-encoded because entity IDs are free text.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { notFound } from '../errors';
import { parseBody, parseQuery } from '../http/validate';
import { loadWebhook } from './webhooks';
import { isDuplicateKey } from '../db';

// The same rule as an event's entityIds, so every entity an event can name can be switched.
const entityIdSchema = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

export const subscriptionSchema = z.object({ enabled: z.boolean({ message: 'must be true or false' }) }).strict();

export const subscriptionListQuery = z
  .object({
    limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor returned by a previous page')
      .transform((c) => Buffer.from(c, 'base64url').toString('utf8'))
      .optional(),
    enabled: z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true').optional(),
  })
  .strict();

type SubscriptionView = { webhookId: string; entityId: string; enabled: boolean; createdAt?: Date; updatedAt?: Date };

function view(s: SubscriptionView) {
  return { webhookId: s.webhookId, entityId: s.entityId, enabled: s.enabled, createdAt: s.createdAt, updatedAt: s.updatedAt };
}

/**
 * An upsert on the unique (webhookId, entityId) index, so concurrent PUTs leave one document. Two
 * racing upserts can both try the insert; the loser gets a duplicate-key error (MongoDB retries
 * some of these itself, FerretDB does not), and its retry finds the document and updates it.
 */
async function upsertSwitch(models: AppDeps['models'], webhookId: string, entityId: string, enabled: boolean) {
  for (let attempt = 1; ; attempt++) {
    try {
      const doc = await models.Subscription.findOneAndUpdate(
        { webhookId, entityId },
        { $set: { enabled }, $setOnInsert: { webhookId, entityId } },
        { upsert: true, new: true },
      ).lean();
      return doc!;
    } catch (err) {
      if (!isDuplicateKey(err) || attempt >= 3) throw err;
    }
  }
}

export function subscriptionsRouter(deps: AppDeps): Router {
  const { models } = deps;
  const router = Router();

  router.put('/:id/subscriptions/:entityId', async (req, res) => {
    const { entityId } = parseBody(z.object({ entityId: entityIdSchema }), { entityId: req.params.entityId });
    const { enabled } = parseBody(subscriptionSchema, req.body);
    const webhook = await loadWebhook(deps, req.params.id);
    res.json(view(await upsertSwitch(models, webhook._id, entityId, enabled)));
  });

  router.get('/:id/subscriptions', async (req, res) => {
    const q = parseQuery(subscriptionListQuery, req.query);
    const webhook = await loadWebhook(deps, req.params.id);
    const filter: Record<string, unknown> = { webhookId: webhook._id };
    // Always a string range, the first page too ('' sorts first): the embedded planner then takes the entityId order from the index.
    filter.entityId = { $gt: q.cursor ?? '' };
    if (q.enabled !== undefined) filter.enabled = q.enabled;
    const docs = await models.Subscription.find(filter).sort({ entityId: 1 }).limit(q.limit + 1).lean();
    const items = docs.slice(0, q.limit);
    const nextCursor = docs.length > q.limit ? Buffer.from(items[items.length - 1].entityId, 'utf8').toString('base64url') : null;
    res.json({ data: items.map(view), nextCursor });
  });

  router.get('/:id/subscriptions/:entityId', async (req, res) => {
    const webhook = await loadWebhook(deps, req.params.id);
    const doc = await models.Subscription.findOne({ webhookId: webhook._id, entityId: req.params.entityId }).lean();
    if (!doc) throw notFound('Subscription');
    res.json(view(doc));
  });

  // Removes the switch: the entity falls back to the webhook's default (off for opt-in, on for opt-out).
  router.delete('/:id/subscriptions/:entityId', async (req, res) => {
    const webhook = await loadWebhook(deps, req.params.id);
    const r = await models.Subscription.deleteOne({ webhookId: webhook._id, entityId: req.params.entityId });
    if (r.deletedCount === 0) throw notFound('Subscription');
    res.status(204).end();
  });

  return router;
}
