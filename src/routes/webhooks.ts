/** `/v1/webhooks`: create, list, read, update (partial, re-validated whole), delete (soft), preview. */
import { Router } from 'express';
import type { AppDeps } from '../app';
import { ErrorCodes, HeraldError, notFound, validationError } from '../errors';
import { newId } from '../ids';
import { parseBody, parseQuery } from '../http/validate';
import { afterCursor, page, pageQuery } from '../http/pagination';
import { LATEST_PAYLOAD_VERSION } from '../render/envelopes';
import { generateSecret } from '../delivery/signatures';
import { conditionJson, webhookCondition, type WebhookDoc } from '../models/webhook';
import { previewSchema, previewWebhook } from './webhook-preview';
import { sealCredential } from '../delivery/credentials';
import { httpsOnlyIssues } from '../delivery/destination';
import { stopInBackground } from '../delivery/stop';
import { createWebhookSchema, mergeRuleFields, patchWebhookSchema, splitHeaders, validateWebhookRules, webhookFields } from './webhook-schema';

export function webhooksRouter(deps: AppDeps): Router {
  const { models, secretBox } = deps;
  const router = Router();

  router.post('/', async (req, res) => {
    const input = parseBody(createWebhookSchema, req.body);
    const issues = [...validateWebhookRules(input), ...httpsOnlyIssues(input.url, deps.config.httpsOnly)];
    if (issues.length) throw validationError(issues);
    const { headers, warnings } = splitHeaders(input.headers);
    const { condition, ...fields } = input;
    const doc = await models.Webhook.create({
      _id: newId('wh'),
      ...fields,
      conditionJson: conditionJson(condition),
      headers,
      // A new webhook is pinned to the newest envelope unless it asks for "latest" or a version.
      payloadVersion: input.payloadVersion ?? LATEST_PAYLOAD_VERSION,
      auth: sealAuth(input.auth, secretBox),
      signing: { enabled: input.signing.enabled, secret: secretBox.encrypt(generateSecret()) },
    });
    res.status(201).json({ ...webhookView(doc.toObject()), warnings });
  });

  router.get('/', async (req, res) => {
    const q = parseQuery(pageQuery, req.query);
    const docs = await models.Webhook.find(afterCursor({ deletedAt: null }, q.cursor)).sort({ _id: -1 }).limit(q.limit + 1).lean();
    const { items, nextCursor } = page(docs, q.limit);
    res.json({ data: items.map(webhookView), nextCursor });
  });

  router.get('/:id', async (req, res) => {
    res.json(webhookView(await loadWebhook(deps, req.params.id)));
  });

  router.patch('/:id', async (req, res) => {
    const patch = parseBody(patchWebhookSchema, req.body);
    // Optimistic concurrency: the merge is validated against the version it was read from, so two
    // concurrent PATCHes cannot combine into a webhook nobody validated. A lost race re-merges.
    // (On MongoDB. The embedded FerretDB 1.x does not apply a conditional update atomically, so
    // there two PATCHes of the same webhook at the same instant can still lose one of them.)
    for (let attempt = 1; ; attempt++) {
      const current = await loadWebhook(deps, req.params.id);
      const merged = mergeRuleFields({ ...current, condition: webhookCondition(current) }, patch);
      const issues = [...validateWebhookRules(merged), ...httpsOnlyIssues(merged.url, deps.config.httpsOnly)];
      if (issues.length) throw validationError(issues);
      const { condition, ...rest } = { ...patch, ...merged };
      const set: Record<string, unknown> = { ...rest, conditionJson: conditionJson(condition as Record<string, unknown> | null) };
      let warnings: string[] = [];
      if (patch.headers) ({ headers: set.headers, warnings } = splitHeaders(patch.headers));
      if (patch.auth) set.auth = sealAuth(patch.auth, secretBox);
      if (patch.signing) {
        delete set.signing; // keep the secret: only the switch is patched
        set['signing.enabled'] = patch.signing.enabled;
      }
      const updated = await models.Webhook.findOneAndUpdate(
        { _id: current._id, deletedAt: null, updatedAt: current.updatedAt },
        { $set: set },
        { new: true },
      ).lean();
      if (updated) {
        if (current.enabled && updated.enabled === false) stopInBackground(deps, { webhookId: updated._id }, 'webhook_disabled');
        return void res.json({ ...webhookView(updated), warnings });
      }
      if (attempt >= 5) throw new HeraldError(409, ErrorCodes.conflict, 'The webhook is being changed concurrently; try again');
    }
  });

  // Renders the request a real event would produce, with the same code as the worker; sends nothing.
  router.post('/:id/preview', async (req, res) => {
    const { event } = parseBody(previewSchema, req.body);
    const webhook = await loadWebhook(deps, req.params.id);
    res.json(
      await previewWebhook(models, webhook, event, { allowPrivate: deps.config.allowPrivateDestinations, httpsOnly: deps.config.httpsOnly }),
    );
  });

  router.delete('/:id', async (req, res) => {
    const r = await models.Webhook.updateOne({ _id: req.params.id, deletedAt: null }, { $set: { deletedAt: new Date(), enabled: false } });
    if (r.matchedCount === 0) throw notFound('Webhook');
    stopInBackground(deps, { webhookId: req.params.id }, 'webhook_deleted');
    res.status(204).end();
  });

  return router;
}

export async function loadWebhook(deps: Pick<AppDeps, 'models'>, id: string) {
  const doc = await deps.models.Webhook.findOne({ _id: id, deletedAt: null }).lean();
  if (!doc) throw notFound('Webhook');
  return doc;
}

type AuthInput = { type: 'none' } | { type: 'basic'; username: string; password: string };

function sealAuth(auth: AuthInput, secretBox: AppDeps['secretBox']) {
  if (auth.type === 'none') return { type: 'none', username: null, password: null };
  return { type: 'basic', username: auth.username, password: sealCredential(auth.password, secretBox) };
}

/** The public shape: secrets never leave (the password is write-only, the signing secret has its own endpoint). */
export function webhookView(w: WebhookDoc & { _id: string; createdAt?: Date; updatedAt?: Date }) {
  const auth = w.auth?.type === 'basic' ? { type: 'basic', username: w.auth.username } : { type: 'none' };
  return {
    id: w._id,
    name: w.name,
    enabled: w.enabled,
    eventTypes: w.eventTypes,
    condition: webhookCondition(w),
    targeting: w.targeting,
    url: w.url,
    method: w.method,
    contentType: w.contentType,
    bodyTemplate: w.bodyTemplate ?? null,
    payloadVersion: w.payloadVersion,
    headers: w.headers ?? {},
    auth,
    idempotencyKey: w.idempotencyKey,
    signing: { enabled: w.signing?.enabled ?? true },
    retry: w.retry,
    timeoutSeconds: w.timeoutSeconds,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

// Keep the field list in one place for callers that want to know what a webhook accepts.
export const WEBHOOK_FIELDS = Object.keys(webhookFields);
