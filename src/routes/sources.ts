/**
 * `/v1/sources`: inbound sources, each with a direct URL `${publicUrl}/in/{id}/{signature}` that
 * any system able to send a webhook can POST to (see routes/inbound.ts). Optional basic auth:
 * the password is write-only (sealed, or a variable reference); `PATCH {"basicAuth": null}`
 * switches auth off and unsets the stored credentials.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { notFound } from '../errors';
import { newId } from '../ids';
import { parseBody, parseQuery } from '../http/validate';
import { afterCursor, page, pageQuery } from '../http/pagination';
import { sealCredential } from '../delivery/credentials';
import type { SourceDoc } from '../models/source';
import { sourceUrlSignature } from './inbound';
import { isReservedEventType, RESERVED_TYPE_MESSAGE } from '../matching/event-type';

const credential = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');
const basicAuthSchema = z
  .object({
    username: credential.refine((u) => !u.includes(':'), 'must not contain ":" (RFC 7617)'),
    password: credential,
  })
  .strict();

const fields = {
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  // The events a source pushes are client events: Herald's own `herald.*` types are refused here
  // (and again at the direct URL, for a source saved before the rule).
  eventType: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').refine((t) => !isReservedEventType(t), RESERVED_TYPE_MESSAGE),
};

export const createSourceSchema = z.object({ ...fields, basicAuth: basicAuthSchema.nullable().default(null) }).strict();
export const patchSourceSchema = z.object({ ...fields, basicAuth: basicAuthSchema.nullable() }).partial().strict();

type SourceRecord = SourceDoc & { _id: string; createdAt?: Date; updatedAt?: Date };

export function sourcesRouter(deps: AppDeps): Router {
  const { models, secretBox } = deps;
  const router = Router();
  const seal = (auth: { username: string; password: string }) => ({ username: auth.username, password: sealCredential(auth.password, secretBox) });
  const view = (s: SourceRecord) => ({
    id: s._id,
    name: s.name,
    eventType: s.eventType,
    basicAuth: s.basicAuth ? { username: s.basicAuth.username } : null,
    directUrl: `${deps.config.publicUrl}/in/${s._id}/${sourceUrlSignature(deps.urlSigningKey, s._id)}`,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  });

  router.post('/', async (req, res) => {
    const input = parseBody(createSourceSchema, req.body);
    const doc = await models.Source.create({
      _id: newId('src'),
      name: input.name,
      eventType: input.eventType,
      ...(input.basicAuth ? { basicAuth: seal(input.basicAuth) } : {}),
    });
    res.status(201).json(view(doc.toObject() as SourceRecord));
  });

  router.get('/', async (req, res) => {
    const q = parseQuery(pageQuery, req.query);
    const docs = await models.Source.find(afterCursor({}, q.cursor)).sort({ _id: -1 }).limit(q.limit + 1).lean();
    const { items, nextCursor } = page(docs as SourceRecord[], q.limit);
    res.json({ data: items.map(view), nextCursor });
  });

  router.get('/:id', async (req, res) => {
    const doc = await models.Source.findById(req.params.id).lean();
    if (!doc) throw notFound('Source');
    res.json(view(doc as SourceRecord));
  });

  router.patch('/:id', async (req, res) => {
    const patch = parseBody(patchSourceSchema, req.body);
    const set: Record<string, unknown> = {};
    const unset: Record<string, 1> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.eventType !== undefined) set.eventType = patch.eventType;
    if (patch.basicAuth === null) unset.basicAuth = 1;
    else if (patch.basicAuth) set.basicAuth = seal(patch.basicAuth);
    const update = { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}) };
    const doc = Object.keys(update).length
      ? await models.Source.findOneAndUpdate({ _id: req.params.id }, update, { new: true }).lean()
      : await models.Source.findById(req.params.id).lean();
    if (!doc) throw notFound('Source');
    res.json(view(doc as SourceRecord));
  });

  router.delete('/:id', async (req, res) => {
    const r = await models.Source.deleteOne({ _id: req.params.id });
    if (r.deletedCount === 0) throw notFound('Source');
    res.status(204).end();
  });

  return router;
}
