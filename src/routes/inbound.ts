/**
 * `POST /in/{sourceId}/{signature}`: inbound direct URLs. No API key: the URL itself is the
 * capability (its signature is an HMAC of the source id under a server key), optionally with basic
 * auth on top. The checks run before the body is read, so an unauthenticated caller cannot make
 * Herald parse a large body: wrong signature or unknown source → 404 (the same answer, so a probe
 * learns nothing), basic auth on and a missing or wrong Authorization → 401 "Access denied".
 * The JSON body (an object; empty means `{}`) becomes the event `{type: source.eventType, data}`.
 * `Idempotency-Key` (or a Standard Webhooks sender's `webhook-id`) deduplicates per source.
 */
import express, { Router, type RequestHandler } from 'express';
import type { AppDeps } from '../app';
import { accessDenied, notFound, validationError } from '../errors';
import { hmacSha256Hex, timingSafeEqualStrings } from '../crypto/secrets';
import { checkBasicAuth, UNKNOWN_VARIABLE, type UnknownVariableError } from '../delivery/credentials';
import { ingestEvent } from '../ingest';
import { limitJsonDepth } from '../http/request-limits';
import type { SourceDoc } from '../models/source';
import { isReservedEventType, RESERVED_TYPE_MESSAGE } from '../matching/event-type';

import { acrossAccounts, DEFAULT_ACCOUNT, inAccount } from '../accounts/scope';
import { createIngestLimiter } from '../accounts/ingest-limit';
import { accountIsLive } from '../accounts/live';

export const WWW_AUTHENTICATE = 'Basic realm="Herald inbound", charset="UTF-8"';

/** The signature part of a source's direct URL: HMAC-SHA256(urlSigningKey, sourceId), hex. */
export function sourceUrlSignature(urlSigningKey: Buffer, sourceId: string): string {
  return hmacSha256Hex(urlSigningKey, sourceId);
}

export function inboundRouter(deps: AppDeps): Router {
  const router = Router();
  const admitEvent = createIngestLimiter(deps.models);

  const authenticate: RequestHandler = async (req, res, next) => {
    const sourceId = String(req.params.sourceId);
    const signature = String(req.params.signature);
    // Constant time: the compare says nothing about how much of a guessed signature was right.
    if (!timingSafeEqualStrings(sourceUrlSignature(deps.urlSigningKey, sourceId), signature)) throw notFound('Source');
    // The signed id says which source, and the source which account: found across accounts.
    const source = await acrossAccounts(() => deps.models.Source.findById(sourceId).lean());
    if (!source) throw notFound('Source');
    const accountId = (source as { accountId?: string }).accountId ?? DEFAULT_ACCOUNT;
    // A deleted account's direct URLs stop with it.
    if (!(await accountIsLive(deps.models, accountId))) throw notFound('Source');
    res.locals.accountId = accountId;
    if (source.basicAuth) {
      let ok = false;
      try {
        ok = await inAccount(accountId, () => checkBasicAuth(req.headers.authorization, source.basicAuth!, deps));
      } catch (err) {
        if ((err as { code?: string }).code !== UNKNOWN_VARIABLE) throw err;
        deps.logger.warn({ sourceId, variable: (err as UnknownVariableError).variable }, 'inbound source credentials reference an undefined variable: access denied');
      }
      if (!ok) {
        res.set('www-authenticate', WWW_AUTHENTICATE);
        throw accessDenied();
      }
    }
    res.locals.source = source;
    next();
  };

  // Its own parser and limit: any content type is read as JSON (senders often omit it).
  const parseJson = express.json({ limit: deps.config.maxBodyBytes, strict: true, type: () => true });

  router.post('/:sourceId/:signature', authenticate, parseJson, limitJsonDepth(), async (req, res) => {
    const source = res.locals.source as SourceDoc & { _id: string };
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw validationError([{ path: '', message: 'the body must be a JSON object' }]);
    }
    if (isReservedEventType(source.eventType)) {
      // Only a source saved before the rule can have one: its events would pass as Herald's own.
      throw validationError([{ path: 'eventType', message: `the source's eventType ${RESERVED_TYPE_MESSAGE}; change it with PATCH /v1/sources/${source._id}` }]);
    }
    const key = req.header('idempotency-key') ?? req.header('webhook-id');
    if (key !== undefined && (key.trim() === '' || key.length > 255)) {
      throw validationError([{ path: 'Idempotency-Key', message: 'must be 1 to 255 characters' }]);
    }
    const accountId = res.locals.accountId as string;
    const result = await inAccount(accountId, async () => {
      await admitEvent(accountId);
      return ingestEvent(
        deps,
        { type: source.eventType, data: body as Record<string, unknown>, entityIds: [] },
        { source: source._id, idempotencyKey: key === undefined ? undefined : `in:${source._id}:${key.trim()}` },
      );
    });
    res.status(result.created ? 202 : 200).json({ eventId: result.event.id });
  });

  return router;
}
