/**
 * `/v1/webhooks/{id}/secret`: the Standard Webhooks signing secret, readable by admins, and its
 * rotation. After a rotation the previous secret keeps signing beside the new one (two `v1,`
 * signatures in `webhook-signature`) for 24 hours, so receivers can switch without losing a
 * message. Only the immediately previous secret overlaps: rotating again within the window drops
 * the older one at once (as Svix does). Responses carry `Cache-Control: no-store`.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { HeraldError, ErrorCodes, notFound } from '../errors';
import { parseBody } from '../http/validate';
import { generateSecret } from '../delivery/signatures';
import { loadWebhook } from './webhooks';

export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

// Standard Webhooks: `whsec_` + base64 of 24 to 64 random bytes.
const providedSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be whsec_ followed by base64')
  .refine((s) => {
    const n = Buffer.from(s.slice(6), 'base64').length;
    return n >= 24 && n <= 64;
  }, 'must encode 24 to 64 bytes');

export const rotateSecretSchema = z.object({ secret: providedSecret.optional() }).strict();

export function webhookSecretsRouter(deps: AppDeps): Router {
  const { models, secretBox } = deps;
  const router = Router();

  router.get('/:id/secret', async (req, res) => {
    const webhook = await loadWebhook(deps, req.params.id);
    let sealed = webhook.signing?.secret;
    if (!sealed) {
      // A webhook stored without a secret gets one on first read (never two: first writer wins).
      await models.Webhook.updateOne({ _id: webhook._id, 'signing.secret': null }, { $set: { 'signing.secret': secretBox.encrypt(generateSecret()) } });
      sealed = (await loadWebhook(deps, webhook._id)).signing?.secret;
      if (!sealed) throw notFound('Webhook');
    }
    sendSecret(res, secretBox.decrypt(sealed), webhook.signing?.previousExpiresAt ?? null);
  });

  router.post('/:id/secret/rotate', async (req, res) => {
    const input = parseBody(rotateSecretSchema, req.body);
    const webhook = await loadWebhook(deps, req.params.id);
    const secret = input.secret ?? generateSecret();
    const previousExpiresAt = new Date(Date.now() + ROTATION_OVERLAP_MS);
    const current = webhook.signing?.secret ?? null;
    // Compare-and-set on the current secret: of two concurrent rotations one wins and the other
    // gets 409, instead of both "succeeding" with one new secret silently lost.
    const updated = await models.Webhook.updateOne(
      { _id: webhook._id, deletedAt: null, 'signing.secret': current },
      {
        $set: {
          'signing.secret': secretBox.encrypt(secret),
          'signing.previousSecret': current,
          'signing.previousExpiresAt': current ? previousExpiresAt : null,
        },
      },
    );
    if (updated.matchedCount === 0) throw new HeraldError(409, ErrorCodes.conflict, 'The secret was rotated concurrently; read it again or retry');
    sendSecret(res, secret, current ? previousExpiresAt : null);
  });

  return router;
}

function sendSecret(res: Response, secret: string, previousExpiresAt: Date | null): void {
  res.set('cache-control', 'no-store');
  const overlap = previousExpiresAt && previousExpiresAt.getTime() > Date.now() ? previousExpiresAt : null;
  res.json({ secret, previousSecretExpiresAt: overlap });
}
