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
import { authorizationIssues, createWebhookSchema, mergeRuleFields, patchWebhookSchema, splitHeaders, validateWebhookRules, webhookFields } from './webhook-schema';
import { REDACTED } from '../render/snapshot';
import { healthViews } from '../flow-control/health-view';

export function webhooksRouter(deps: AppDeps): Router {
  const { models, secretBox } = deps;
  const router = Router();

  router.post('/', async (req, res) => {
    const input = parseBody(createWebhookSchema, req.body);
    const issues = [...validateWebhookRules(input), ...httpsOnlyIssues(input.url, deps.config.httpsOnly), ...authorizationIssues(input.headers, input.auth.type)];
    if (issues.length) throw validationError(issues);
    const { headers, warnings, authorization } = splitHeaders(input.headers);
    const { condition, ...fields } = input;
    const doc = await models.Webhook.create({
      _id: newId('wh'),
      ...fields,
      conditionJson: conditionJson(condition),
      headers,
      // A new webhook is pinned to the newest envelope unless it asks for "latest" or a version.
      payloadVersion: input.payloadVersion ?? LATEST_PAYLOAD_VERSION,
      auth: sealAuth(input.auth, secretBox),
      authorizationHeader: sealAuthorization(authorization?.value, secretBox),
      signing: { enabled: input.signing.enabled, secret: secretBox.encrypt(generateSecret()) },
    });
    res.status(201).json({ ...webhookView(doc.toObject()), warnings });
  });

  router.get('/', async (req, res) => {
    const q = parseQuery(pageQuery, req.query);
    const docs = await models.Webhook.find(afterCursor({ deletedAt: null }, q.cursor)).sort({ _id: -1 }).limit(q.limit + 1).lean();
    const { items, nextCursor } = page(docs, q.limit);
    const health = await healthViews(models, deps.config.circuit, items, { recent: false });
    res.json({ data: items.map((w) => ({ ...webhookView(w), health: health.get(w._id) })), nextCursor });
  });

  router.get('/:id', async (req, res) => {
    const webhook = await loadWebhook(deps, req.params.id);
    const health = await healthViews(models, deps.config.circuit, [webhook], { recent: true });
    res.json({ ...webhookView(webhook), health: health.get(webhook._id) });
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
      const authType = patch.auth?.type ?? current.auth?.type ?? 'none';
      const issues = [...validateWebhookRules(merged), ...httpsOnlyIssues(merged.url, deps.config.httpsOnly)];
      if (patch.headers) issues.push(...authorizationIssues(patch.headers, authType));
      else if (current.authorizationHeader?.value && authType === 'basic') {
        issues.push({ path: 'auth.type', message: 'cannot be "basic" while the webhook has a static Authorization header: remove it from headers in the same PATCH' });
      }
      if (issues.length) throw validationError(issues);
      const { condition, ...rest } = { ...patch, ...merged };
      const set: Record<string, unknown> = { ...rest, conditionJson: conditionJson(condition as Record<string, unknown> | null) };
      let warnings: string[] = [];
      if (patch.headers) {
        const split = splitHeaders(patch.headers);
        ({ headers: set.headers, warnings } = split);
        // The redacted form, as every view shows it, means "keep the stored value" (a GET → PATCH round trip).
        const keep = split.authorization && isRedacted(split.authorization.value) && current.authorizationHeader?.value;
        if (!keep) set.authorizationHeader = sealAuthorization(split.authorization?.value, secretBox);
      }
      if (patch.auth) set.auth = sealAuth(patch.auth, secretBox);
      if (patch.enabled === true && !current.enabled) {
        // Re-enabled by an operator: forget why Herald disabled it and its failure streak, so one
        // more failure does not disable it again at once.
        Object.assign(set, { disabledReason: null, disabledAt: null });
      }
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
        if (!current.enabled && updated.enabled) await models.WebhookHealth.deleteOne({ _id: updated._id });
        return void res.json({ ...webhookView(updated), warnings });
      }
      if (attempt >= 5) throw new HeraldError(409, ErrorCodes.conflict, 'The webhook is being changed concurrently; try again');
    }
  });

  // Renders the request a real event would produce, with the same code as the worker; sends nothing.
  router.post('/:id/preview', async (req, res) => {
    const { event, version } = parseBody(previewSchema, req.body);
    const webhook = await loadWebhook(deps, req.params.id);
    res.json(
      await previewWebhook(models, webhook, event, { allowPrivate: deps.config.allowPrivateDestinations, httpsOnly: deps.config.httpsOnly }, version),
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

/** A static Authorization header: sealed, with the form views show (`Bearer [redacted]`). */
function sealAuthorization(value: string | undefined, secretBox: AppDeps['secretBox']) {
  if (!value) return { display: null, value: null };
  return { display: redactedAuthorization(value), value: sealCredential(value, secretBox) };
}

/** `Bearer abc` → `Bearer [redacted]`: the scheme helps an operator, the credential never shows. */
export function redactedAuthorization(value: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s+\S/.exec(value.trim());
  return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
}

function isRedacted(value: string): boolean {
  return value.trim().endsWith(REDACTED);
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
    apiVersion: w.apiVersion ?? 'account',
    headers: { ...(w.headers ?? {}), ...(w.authorizationHeader?.display ? { Authorization: w.authorizationHeader.display } : {}) },
    auth,
    idempotencyKey: w.idempotencyKey,
    signing: { enabled: w.signing?.enabled ?? true },
    retry: w.retry,
    timeoutSeconds: w.timeoutSeconds,
    rateLimit: w.rateLimit?.perSecond ? { perSecond: w.rateLimit.perSecond } : w.rateLimit?.perMinute ? { perMinute: w.rateLimit.perMinute } : null,
    maxConcurrency: w.maxConcurrency ?? null,
    circuitBreaker: w.circuitBreaker
      ? Object.fromEntries(Object.entries(w.circuitBreaker).filter(([, v]) => v !== null && v !== undefined))
      : null,
    autoDisableAfterSeconds: w.autoDisableAfterSeconds ?? null,
    disabledReason: w.disabledReason ?? null,
    disabledAt: w.disabledAt ?? null,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

// Keep the field list in one place for callers that want to know what a webhook accepts.
export const WEBHOOK_FIELDS = Object.keys(webhookFields);
