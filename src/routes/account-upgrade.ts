/**
 * `GET /v1/accounts/{id}/upgrade-preview?to=9.0.0` (admin keys; mounted by src/routes/accounts.ts):
 * what moving the account's pin to `to` would change, per versioned event type its webhooks
 * receive — only webhooks that follow the account (`apiVersion: "account"`) move with the pin;
 * the others are listed as unaffected. `PATCH /v1/accounts/{id}` `{"apiVersion"}` applies it.
 */
import { Router } from 'express';
import { z } from 'zod';
import semver from 'semver';
import type { AppDeps } from '../app';
import { notFound } from '../errors';
import { parseQuery } from '../http/validate';
import { inAccount } from '../accounts/scope';
import { loadChain } from '../models/event-type-version';
import { matchesEventType } from '../matching/event-type';
import { resolveTarget } from '../versions/semver-order';
import { followsAccount } from '../versions/target';
import { changesBetween } from '../versions/upgrade';

export const upgradeQuery = z.object({ to: z.string({ message: 'is required' }).refine((v) => semver.valid(v) === v, 'must be a version MAJOR.MINOR.PATCH, e.g. 9.0.0') }).strict();

export function accountUpgradeRouter(deps: AppDeps): Router {
  const { models } = deps;
  const router = Router();

  router.get('/:id/upgrade-preview', async (req, res) => {
    const { to } = parseQuery(upgradeQuery, req.query);
    const account = await models.Account.findById(req.params.id, { apiVersion: 1, deletedAt: 1 }).lean();
    if (!account || account.deletedAt) throw notFound('Account');
    const from = account.apiVersion ?? null;
    const preview = await inAccount(account._id, async () => {
      const webhooks = await models.Webhook.find({ deletedAt: null }, { _id: 1, eventTypes: 1, apiVersion: 1 }).lean();
      const following = webhooks.filter((w) => followsAccount(w.apiVersion));
      const types = ((await models.EventTypeVersion.distinct('type')) as string[]).sort();
      const eventTypes = [];
      for (const type of types) {
        const receivers = following.filter((w) => matchesEventType(w.eventTypes, type)).map((w) => w._id);
        if (receivers.length === 0) continue;
        const chain = await loadChain(models.EventTypeVersion, type);
        const versions = chain.map((l) => l.version);
        const fromVersion = resolveTarget(versions, from ?? 'latest');
        const toVersion = resolveTarget(versions, to);
        eventTypes.push({ type, webhookIds: receivers, fromVersion, toVersion, ...changesBetween(chain, fromVersion, toVersion) });
      }
      return { eventTypes, unaffectedWebhookIds: webhooks.filter((w) => !followsAccount(w.apiVersion)).map((w) => w._id) };
    });
    res.json({ accountId: account._id, from, to, ...preview });
  });

  return router;
}
