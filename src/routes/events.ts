/**
 * `/v1/events`: accept an event (202, or 200 with the first result for a duplicate), read one back,
 * list them (newest first, with filters), and replay them — one (`/{id}/replay`) or many by filter
 * (`/replay`), done by a replay workflow so a long history never times out the request.
 */
import { Router } from 'express';
import { jobView } from '../http/job-view';
import { createIngestLimiter } from '../accounts/ingest-limit';
import { currentAccountId } from '../accounts/scope';
import { eventIdCandidates, publicEventId } from '../accounts/event-ids';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { ErrorCodes, HeraldError, notFound, unavailable } from '../errors';
import { parseBody, parseQuery } from '../http/validate';
import { describeEvent, ingestEvent } from '../ingest';
import { newId } from '../ids';
import { eventData } from '../models/event';
import { countEvents, decodeEventCursor, encodeEventCursor, findEvents, isEmptyEventFilter, type EventFilter, type StoredEvent } from '../models/event-filter';
import { replayFilterInput, startReplay } from '../replay';
import { isReservedEventType, RESERVED_TYPE_MESSAGE } from '../matching/event-type';
import { replayWorkflowId, type ReplayResult } from '../../workflows/shared';
import { isEventTypeVersion } from '../versions/semver-order';

// "*" is the wildcard of a webhook's eventTypes, never an event's own type.
const eventType = z.string({ message: 'is required' }).trim().min(1, 'is required').max(200, 'must be at most 200 characters').refine((t) => t !== '*', 'must not be "*" (the wildcard of webhook eventTypes)');

const eventShape = {
  id: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').regex(/^[\w.:-]+$/, 'may contain only letters, digits and _ . : -').optional(),
  type: eventType,
  data: z.record(z.string(), z.unknown(), { message: 'must be a JSON object' }).default({}),
  entityIds: z.array(z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters')).max(100, 'must list at most 100 entities').default([]),
  occurredAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s)).optional(),
  version: z.string().refine(isEventTypeVersion, 'must be a version MAJOR.MINOR.PATCH, e.g. 9.0.0').optional(),
};

/** An event as a client sends it: `herald.*` types are Herald's own operational events, never accepted. */
export const eventSchema = z.object({ ...eventShape, type: eventType.refine((t) => !isReservedEventType(t), RESERVED_TYPE_MESSAGE) }).strict();

/** A sample event for a webhook preview: operational types allowed (an operator previews an alert template). */
export const previewEventSchema = z.object(eventShape).strict();

const idempotencyKeyHeader = z.string().trim().min(1).max(255);

const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s));
const bool = z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true');

/** The filters of `GET /v1/events`, and of `POST /v1/events/replay` (there as JSON values). */
const eventFilterFields = {
  type: z.string().min(1).optional(),
  entityId: z.string().min(1).optional(),
  since: isoDate.optional(),
  until: isoDate.optional(),
};

export const eventListQuery = z.object({
  ...eventFilterFields,
  matched: bool.optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
  cursor: z
    .string()
    .transform((c, ctx) => decodeEventCursor(c) ?? (ctx.addIssue({ code: 'custom', message: 'must be a cursor returned by a previous page' }), z.NEVER))
    .optional(),
});

export const replaySchema = z
  .object({ ...eventFilterFields, matched: z.boolean({ message: 'must be true or false' }).optional() })
  .strict()
  // An empty filter would replay the whole history against today's webhooks: almost always a mistake.
  .refine((f) => !isEmptyEventFilter(f), { message: 'give at least one of type, entityId, since, until, matched' });

export function eventsRouter(deps: AppDeps): Router {
  const router = Router();

  const admitEvent = createIngestLimiter(deps.models);

  router.post('/', async (req, res) => {
    const input = parseBody(eventSchema, req.body);
    const key = req.header('idempotency-key');
    const parsedKey = key === undefined ? undefined : parseBody(z.object({ 'Idempotency-Key': idempotencyKeyHeader }), { 'Idempotency-Key': key })['Idempotency-Key'];
    await admitEvent(currentAccountId());
    const result = await ingestEvent(deps, input, { idempotencyKey: parsedKey });
    res.status(result.created ? 202 : 200).json(result.event);
  });

  router.get('/', async (req, res) => {
    const { limit, cursor, ...filter } = parseQuery(eventListQuery, req.query);
    const page = await findEvents(deps.models, filter, { after: cursor, order: 'newest', limit });
    res.json({ data: page.events.map((e) => eventView(e, e.notificationCount)), nextCursor: page.next ? encodeEventCursor(page.next) : null });
  });

  router.post('/replay', async (req, res) => {
    const filter = parseBody(replaySchema, req.body);
    res.status(202).json(await replay(deps, filter));
  });

  router.get('/replay/:jobId', async (req, res) => {
    res.json(await jobView<ReplayResult>(deps.temporal, replayWorkflowId(req.params.jobId), req.params.jobId, 'Replay job'));
  });

  router.post('/:id/replay', async (req, res) => {
    parseBody(z.object({}).strict(), req.body);
    const event = await deps.models.Event.findOne(byPublicId(req.params.id), { _id: 1 }).lean();
    if (!event) throw notFound('Event');
    res.status(202).json(await replay(deps, { eventId: event._id }));
  });

  router.get('/:id', async (req, res) => {
    const event = await deps.models.Event.findOne(byPublicId(req.params.id)).lean();
    if (!event) throw notFound('Event');
    const described = await describeEvent(deps.models, event);
    res.json({
      ...described,
      data: eventData(event),
      version: event.version ?? null,
      entityIds: event.entityIds,
      occurredAt: event.occurredAt,
      createdAt: event.createdAt,
      dispatchedAt: event.dispatchedAt,
    });
  });

  return router;
}

/** The filter finding an event by the id the API was given, in the current account (src/accounts/event-ids.ts). */
function byPublicId(id: string): Record<string, unknown> {
  const ids = eventIdCandidates(currentAccountId(), id);
  // No candidate (a stored form, never taken from outside): an id that cannot exist.
  return { _id: ids.length ? { $in: ids } : '~' };
}

/** Starts a replay job: 202 `{jobId, events}` (`events`: how many the filter covers, `matched` aside). */
async function replay(deps: AppDeps, filter: EventFilter): Promise<{ jobId: string | null; events: number }> {
  if ((await deps.configCache.current()).communications === 'none') {
    throw new HeraldError(409, ErrorCodes.conflict, 'settings.webhookCommunications is "none": a replay would create no notification; switch it to "enabled" first');
  }
  const notAfter = new Date();
  const { matched: _matched, ...rest } = filter;
  const events = await countEvents(deps.models, { ...rest, until: rest.until && rest.until < notAfter ? rest.until : notAfter });
  if (events === 0) return { jobId: null, events: 0 };
  const jobId = newId('job');
  try {
    await startReplay(deps.temporal, jobId, replayFilterInput(filter, notAfter));
  } catch (err) {
    deps.logger.warn({ err }, 'could not start a replay');
    throw unavailable('Temporal is unreachable; nothing was replayed, try again');
  }
  return { jobId, events };
}

/** An event as lists show it; `notificationCount` 0 means it matched no webhook. */
export function eventView(e: StoredEvent, notificationCount: number) {
  return {
    id: publicEventId(e._id),
    type: e.type,
    entityIds: e.entityIds,
    data: eventData(e),
    version: e.version ?? null,
    occurredAt: e.occurredAt,
    createdAt: e.createdAt,
    dispatchedAt: e.dispatchedAt,
    source: e.source ?? null,
    notificationCount,
    matched: notificationCount > 0,
  };
}
