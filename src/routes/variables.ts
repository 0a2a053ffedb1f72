/**
 * `/v1/variables`: named credential pairs, write-only. `PUT /{name}` `{"user", "pass"}` creates
 * (201) or replaces (200) one; GET shows the name and when it changed, never a value; DELETE
 * removes it. Credentials anywhere may reference them as `{{env_var[@name].user}}` /
 * `{{env_var[@name].pass}}`, resolved at send or check time. A list is name-ordered.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { notFound } from '../errors';
import { parseBody, parseQuery } from '../http/validate';
import { VARIABLE_NAME } from '../delivery/credentials';
import { variableId, type VariableDoc } from '../models/variable';

const value = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');
export const variableSchema = z.object({ user: value, pass: value }).strict();
const nameSchema = z.object({ name: z.string().regex(VARIABLE_NAME, 'must be 1-100 letters, digits, _ . or -') });
export const variableListQuery = z
  .object({
    limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
    cursor: z.string().regex(VARIABLE_NAME, 'must be a cursor returned by a previous page').optional(),
  })
  .strict();

export function variablesRouter(deps: AppDeps): Router {
  const { models, secretBox } = deps;
  const router = Router();

  router.get('/', async (req, res) => {
    const q = parseQuery(variableListQuery, req.query);
    const docs = await models.Variable.find(q.cursor ? { _id: { $gt: variableId(q.cursor) } } : {}, { user: 0, pass: 0 })
      .sort({ _id: 1 })
      .limit(q.limit + 1)
      .lean();
    const items = docs.slice(0, q.limit);
    res.json({ data: items.map(variableView), nextCursor: docs.length > q.limit ? variableView(items[items.length - 1]).name : null });
  });

  router.put('/:name', async (req, res) => {
    const { name } = parseQuery(nameSchema, req.params);
    const input = parseBody(variableSchema, req.body);
    const existed = await models.Variable.exists({ _id: variableId(name) });
    const doc = await models.Variable.findOneAndUpdate(
      { _id: variableId(name) },
      { $set: { name, user: secretBox.encrypt(input.user), pass: secretBox.encrypt(input.pass) } },
      // No projection here: FerretDB does not implement findAndModify's `fields`; the view drops the values.
      { upsert: true, new: true },
    ).lean();
    res.status(existed ? 200 : 201).json(variableView(doc!));
  });

  router.get('/:name', async (req, res) => {
    const { name } = parseQuery(nameSchema, req.params);
    const doc = await models.Variable.findById(variableId(name), { user: 0, pass: 0 }).lean();
    if (!doc) throw notFound('Variable');
    res.json(variableView(doc));
  });

  router.delete('/:name', async (req, res) => {
    const { name } = parseQuery(nameSchema, req.params);
    const r = await models.Variable.deleteOne({ _id: variableId(name) });
    if (r.deletedCount === 0) throw notFound('Variable');
    res.status(204).end();
  });

  return router;
}

function variableView(v: Partial<VariableDoc> & { _id: string; createdAt?: Date; updatedAt?: Date }) {
  const name = v.name ?? v._id;
  return {
    name,
    references: { user: `{{env_var[@${name}].user}}`, pass: `{{env_var[@${name}].pass}}` },
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
  };
}
