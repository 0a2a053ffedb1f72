/**
 * `/v1/settings`: the account's switches, one document (`settingsId()`). Missing means defaults,
 * so a fresh install needs no seeding. `webhookCommunications: "none"` stops notifications from
 * being created (events are still stored) — Mambu's switch for maintenance windows.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { parseBody } from '../http/validate';
import { stopInBackground } from '../delivery/stop';
import { settingsId } from '../models/config-version';

const DEFAULTS = { webhookCommunications: 'enabled' as const };

// PUT takes the whole settings object (today one field); unknown fields are a 400, not ignored.
export const settingsSchema = z
  .object({
    webhookCommunications: z.enum(['enabled', 'none'], { message: 'must be "enabled" or "none"' }),
  })
  .strict();

type SettingsView = { webhookCommunications?: string | null; updatedAt?: Date | null };

function view(doc: SettingsView | null) {
  return { webhookCommunications: doc?.webhookCommunications ?? DEFAULTS.webhookCommunications, updatedAt: doc?.updatedAt ?? null };
}

export function settingsRouter(deps: AppDeps): Router {
  const { models } = deps;
  const router = Router();

  router.get('/', async (_req, res) => {
    res.json(view(await models.Setting.findById(settingsId()).lean()));
  });

  router.put('/', async (req, res) => {
    const input = parseBody(settingsSchema, req.body);
    const doc = await models.Setting.findOneAndUpdate({ _id: settingsId() }, { $set: input, $inc: { configVersion: 1 } }, { upsert: true, new: true }).lean();
    deps.logger.info({ settings: input }, 'settings changed');
    if (input.webhookCommunications === 'none') stopInBackground(deps, {}, 'communications_off');
    res.json(view(doc));
  });

  return router;
}
