/**
 * `/v1/accounts`: the platform's tenants and their API keys. Admin keys only (an account key gets
 * 403, see adminOnly in src/http/auth.ts). An account's own switches (`webhookCommunications`) are
 * also its `/v1/settings`; the limits set here (`eventsPerSecond`, `retentionSeconds`) are the
 * platform's decision, so only an admin key changes them.
 */
import { Router } from 'express';
import { z } from 'zod';
import semver from 'semver';
import type { AppDeps } from '../app';
import { HeraldError, ErrorCodes, notFound } from '../errors';
import { parseBody, parseQuery } from '../http/validate';
import { adminOnly } from '../http/auth';
import { afterCursor, page, pageQuery } from '../http/pagination';
import { newAccountId, newApiKey, newKeyId } from '../accounts/keys';
import { DEFAULT_ACCOUNT, inAccount } from '../accounts/scope';
import { bumpConfigVersion, settingsId } from '../models/config-version';
import { stopInBackground } from '../delivery/stop';
import type { AccountDoc } from '../models/account';
import { accountUpgradeRouter } from './account-upgrade';

const apiVersion = z
  .string()
  .refine((v) => semver.valid(v) === v, 'must be a version MAJOR.MINOR.PATCH, e.g. 9.0.0')
  .nullable();

const accountFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  apiVersion,
  webhookCommunications: z.enum(['enabled', 'none'], { message: 'must be "enabled" or "none"' }),
  eventsPerSecond: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000').nullable(),
  retentionSeconds: z.number().int('must be a whole number').min(3600, 'must be at least 3600 (one hour)').nullable(),
};

export const createAccountSchema = z
  .object({ ...accountFields, apiVersion: apiVersion.optional(), webhookCommunications: accountFields.webhookCommunications.optional(), eventsPerSecond: accountFields.eventsPerSecond.optional(), retentionSeconds: accountFields.retentionSeconds.optional() })
  .strict();
export const patchAccountSchema = z.object(accountFields).partial().strict();
export const createKeySchema = z.object({ name: z.string().trim().max(200, 'must be at most 200 characters').nullable().optional() }).strict();
const accountIdParam = z.object({ id: z.string().regex(/^(default|acc_[0-9a-z]+)$/, 'must be an account id (acc_...)') });

type AccountView = AccountDoc & { createdAt?: Date; updatedAt?: Date };

export function accountsRouter(deps: AppDeps): Router {
  const { models } = deps;
  const router = Router();
  router.use(adminOnly());
  // Versioned event types: GET /{id}/upgrade-preview (its own file).
  router.use(accountUpgradeRouter(deps));

  async function live(id: string): Promise<AccountView> {
    const doc = accountIdParam.safeParse({ id }).success ? await models.Account.findById(id).lean<AccountView>() : null;
    if (!doc || doc.deletedAt) throw notFound('Account');
    return doc;
  }

  async function view(doc: AccountView) {
    const settings = await inAccount(doc._id, () => models.Setting.findById(settingsId(doc._id), { webhookCommunications: 1 }).lean());
    return {
      id: doc._id,
      name: doc.name,
      apiVersion: doc.apiVersion ?? null,
      webhookCommunications: settings?.webhookCommunications ?? 'enabled',
      eventsPerSecond: doc.eventsPerSecond ?? null,
      retentionSeconds: doc.retentionSeconds ?? null,
      createdAt: doc.createdAt,
      updatedAt: doc.updatedAt,
    };
  }

  async function applySwitch(accountId: string, webhookCommunications: 'enabled' | 'none' | undefined) {
    if (!webhookCommunications) return;
    await inAccount(accountId, async () => {
      await models.Setting.updateOne({ _id: settingsId() }, { $set: { webhookCommunications }, $inc: { configVersion: 1 } }, { upsert: true });
      if (webhookCommunications === 'none') stopInBackground(deps, {}, 'communications_off');
    });
  }

  router.post('/', async (req, res) => {
    const input = parseBody(createAccountSchema, req.body);
    const { webhookCommunications, ...fields } = input;
    const doc = await models.Account.create({ _id: newAccountId(), ...fields, apiVersion: fields.apiVersion ?? (await deps.defaultApiVersion?.()) ?? null });
    await applySwitch(doc._id, webhookCommunications);
    deps.logger.info({ accountId: doc._id }, 'account created');
    res.status(201).json(await view(doc.toObject() as AccountView));
  });

  router.get('/', async (req, res) => {
    const q = parseQuery(pageQuery, req.query);
    // `default` sorts after every acc_ id (newest first): it is listed last.
    // The first page from the top of the `_id` index too ('~' sorts after every id): a range, not a scan.
    const docs = await models.Account.find(afterCursor({ deletedAt: null }, q.cursor ?? '~')).sort({ _id: -1 }).limit(q.limit + 1).lean<AccountView[]>();
    const { items, nextCursor } = page(docs, q.limit);
    res.json({ data: await Promise.all(items.map(view)), nextCursor });
  });

  router.get('/:id', async (req, res) => {
    res.json(await view(await live(req.params.id)));
  });

  router.patch('/:id', async (req, res) => {
    const current = await live(req.params.id);
    const { webhookCommunications, ...fields } = parseBody(patchAccountSchema, req.body);
    const doc = await models.Account.findOneAndUpdate({ _id: current._id, deletedAt: null }, { $set: fields }, { new: true }).lean<AccountView>();
    if (!doc) throw notFound('Account');
    // The pin is part of every process's cached configuration view (src/config-cache.ts).
    if (fields.apiVersion !== undefined) await inAccount(doc._id, () => bumpConfigVersion(models.Setting as never, doc._id));
    await applySwitch(doc._id, webhookCommunications);
    res.json(await view(doc));
  });

  router.delete('/:id', async (req, res) => {
    const current = await live(req.params.id);
    if (current._id === DEFAULT_ACCOUNT) throw new HeraldError(409, ErrorCodes.conflict, 'The account default cannot be deleted');
    const now = new Date();
    await models.Account.updateOne({ _id: current._id }, { $set: { deletedAt: now } });
    await inAccount(current._id, async () => {
      await models.ApiKey.updateMany({ revokedAt: null }, { $set: { revokedAt: now } });
      // As deleting each webhook does: no new notifications, open ones stopped. History stays for retention.
      await models.Webhook.updateMany({ deletedAt: null }, { $set: { deletedAt: now, enabled: false } });
      stopInBackground(deps, {}, 'webhook_deleted');
    });
    deps.logger.info({ accountId: current._id }, 'account deleted');
    res.status(204).end();
  });

  router.post('/:id/keys', async (req, res) => {
    const account = await live(req.params.id);
    const input = parseBody(createKeySchema, req.body);
    const { key, hash, prefix } = newApiKey();
    const doc = await inAccount(account._id, () => models.ApiKey.create({ _id: newKeyId(), name: input.name ?? null, hash, prefix }));
    res.status(201).json({ ...keyView(doc.toObject()), key });
  });

  router.get('/:id/keys', async (req, res) => {
    const account = await live(req.params.id);
    const q = parseQuery(pageQuery, req.query);
    const docs = await inAccount(account._id, () => models.ApiKey.find(afterCursor({ revokedAt: null }, q.cursor)).sort({ _id: -1 }).limit(q.limit + 1).lean());
    const { items, nextCursor } = page(docs, q.limit);
    res.json({ data: items.map(keyView), nextCursor });
  });

  router.delete('/:id/keys/:keyId', async (req, res) => {
    const account = await live(req.params.id);
    const r = await inAccount(account._id, () => models.ApiKey.updateOne({ _id: req.params.keyId, revokedAt: null }, { $set: { revokedAt: new Date() } }));
    if (r.matchedCount === 0) throw notFound('API key');
    res.status(204).end();
  });

  return router;
}

function keyView(k: { _id: string; name?: string | null; prefix: string; createdAt?: Date }) {
  return { id: k._id, name: k.name ?? null, prefix: k.prefix, createdAt: k.createdAt };
}
