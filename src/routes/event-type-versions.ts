/**
 * The versions of an event type (versioned event types; the router is src/routes/event-types.ts,
 * one router for event types, growing rather than forking):
 *
 * - `PUT /v1/event-types/{type}/versions/{version}` `{"schema"?, "changes"?}`: 201 new, 200
 *   replaced, 409 once used, 400 with every reason it could not apply.
 * - `GET /v1/event-types/{type}`: the type's versions, oldest first.
 *
 * A version is used once any event of its type was accepted after it was declared: from then on
 * it may have shaped a delivery (posted in it, or converted to or through it), and receivers
 * built on that shape. A version's changes are relative to the version before it, so declaring a
 * version between two others re-checks the next one's changes against it, and is refused once the
 * next one is used. There is no delete: the chain never has a gap.
 */
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { ErrorCodes, HeraldError, notFound, validationError } from '../errors';
import { parseBody } from '../http/validate';
import { isDuplicateKey } from '../db';
import { currentAccountId } from '../accounts/scope';
import { isReservedEventType } from '../matching/event-type';
import { eventTypeVersionId, loadChain, type VersionLink } from '../models/event-type-version';
import { compareVersions, isEventTypeVersion } from '../versions/semver-order';
import { versionIssues } from '../versions/validate-changes';
import type { Change } from '../versions/changes';

const path = z.string().min(1, 'must be a non-empty dotted path');
// `default` is required: the key must be there (null is a value); zod's unknown() accepts a missing key.
const withDefault = <T extends z.ZodRawShape>(shape: T) =>
  z
    .object({ ...shape, default: z.unknown() })
    .strict()
    .refine((c) => 'default' in c, { message: 'is required (null is allowed)', path: ['default'] });

const changeSchema = z.discriminatedUnion(
  'op',
  [
    z.object({ op: z.literal('rename'), from: path, to: path }).strict(),
    withDefault({ op: z.literal('add'), path }),
    withDefault({ op: z.literal('remove'), path }),
  ],
  { message: 'must be {"op": "rename", "from", "to"}, {"op": "add", "path", "default"} or {"op": "remove", "path", "default"}' },
);

export const versionBody = z
  .object({
    schema: z.record(z.string(), z.unknown(), { message: 'must be a JSON Schema object' }).nullable().optional(),
    changes: z.array(changeSchema).default([]),
  })
  .strict();

const typeParam = z
  .string()
  .min(1)
  .max(200, 'must be at most 200 characters')
  .refine((t) => t.trim() === t && t !== '*', 'must be an event type (not "*", no surrounding spaces)')
  .refine((t) => !isReservedEventType(t), 'herald.* types are Herald\'s own and have no versions');
const params = z.object({ type: typeParam, version: z.string().refine(isEventTypeVersion, 'must be a version MAJOR.MINOR.PATCH, e.g. 9.0.0') });

export function versionView(type: string, l: VersionLink) {
  return { type, version: l.version, schema: l.schema ?? null, changes: l.changes, createdAt: l.createdAt, updatedAt: l.updatedAt };
}

export function eventTypeVersionRoutes(router: Router, deps: AppDeps): void {
  const { models } = deps;

  /** True once an event of the type was accepted after this version was declared. */
  const used = async (type: string, link: VersionLink) => (await models.Event.exists({ type, createdAt: { $gte: link.createdAt } })) !== null;

  router.put('/:type/versions/:version', async (req, res) => {
    const p = parseBody(params, { type: req.params.type, version: req.params.version });
    const body = parseBody(versionBody, req.body);
    const changes = body.changes as Change[];
    const schema = body.schema ?? null;
    const chain = await loadChain(models.EventTypeVersion, p.type);
    const existing = chain.find((l) => l.version === p.version);
    if (existing && (await used(p.type, existing))) {
      throw new HeraldError(409, ErrorCodes.conflict, `Version ${p.version} of ${p.type} is in use (events were accepted since it was declared): declare a new version instead`);
    }
    const before = chain.filter((l) => compareVersions(l.version, p.version) < 0);
    const previous = before[before.length - 1];
    const next = chain.find((l) => compareVersions(l.version, p.version) > 0);
    const issues = versionIssues({ schema: schema ?? undefined, changes }, previous && { version: previous.version, schema: previous.schema });
    if (next) {
      if (!existing && (await used(p.type, next))) {
        throw new HeraldError(409, ErrorCodes.conflict, `Version ${next.version} of ${p.type} is in use and its changes are relative to ${previous?.version ?? 'nothing'}: a version between them cannot be declared`);
      }
      // The next version's changes now start from this one: they must still apply.
      const nextIssues = versionIssues({ schema: next.schema ?? undefined, changes: next.changes }, { version: p.version, schema: schema ?? undefined });
      issues.push(...nextIssues.map((i) => ({ path: `(version ${next.version}).${i.path}`, message: i.message })));
    }
    if (issues.length) throw validationError(issues, `Version ${p.version} of ${p.type} cannot be saved`);

    const fields = { schemaJson: schema === null ? null : JSON.stringify(schema), changesJson: JSON.stringify(changes) };
    const _id = eventTypeVersionId(currentAccountId(), p.type, p.version);
    let status = 200;
    if (existing) {
      await models.EventTypeVersion.updateOne({ _id }, { $set: fields });
    } else {
      try {
        await models.EventTypeVersion.create({ _id, type: p.type, version: p.version, ...fields });
        status = 201;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        throw new HeraldError(409, ErrorCodes.conflict, `Version ${p.version} of ${p.type} was declared concurrently; read it and try again`);
      }
    }
    const saved = (await loadChain(models.EventTypeVersion, p.type)).find((l) => l.version === p.version)!;
    deps.logger.info({ type: p.type, version: p.version, replaced: status === 200 }, 'event type version saved');
    res.status(status).json(versionView(p.type, saved));
  });

  router.get('/:type', async (req, res) => {
    const type = req.params.type;
    const chain = await loadChain(models.EventTypeVersion, type);
    if (chain.length === 0 && !(await models.Event.exists({ type }))) throw notFound('Event type');
    res.json({
      type,
      newestVersion: chain.length ? chain[chain.length - 1].version : null,
      versions: chain.map((l) => versionView(type, l)),
    });
  });
}
