/** `/v1/events`: accept an event (202, or 200 with the first result for a duplicate) and read one back. */
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { notFound } from '../errors';
import { parseBody } from '../http/validate';
import { describeEvent, ingestEvent } from '../ingest';
import { eventData } from '../models/event';

export const eventSchema = z
  .object({
    id: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').regex(/^[\w.:-]+$/, 'may contain only letters, digits and _ . : -').optional(),
    // "*" is the wildcard of a webhook's eventTypes, never an event's own type.
    type: z.string({ message: 'is required' }).trim().min(1, 'is required').max(200, 'must be at most 200 characters').refine((t) => t !== '*', 'must not be "*" (the wildcard of webhook eventTypes)'),
    data: z.record(z.string(), z.unknown(), { message: 'must be a JSON object' }).default({}),
    entityIds: z.array(z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters')).max(100, 'must list at most 100 entities').default([]),
    occurredAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s)).optional(),
  })
  .strict();

const idempotencyKeyHeader = z.string().trim().min(1).max(255);

export function eventsRouter(deps: AppDeps): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const input = parseBody(eventSchema, req.body);
    const key = req.header('idempotency-key');
    const parsedKey = key === undefined ? undefined : parseBody(z.object({ 'Idempotency-Key': idempotencyKeyHeader }), { 'Idempotency-Key': key })['Idempotency-Key'];
    const result = await ingestEvent(deps, input, { idempotencyKey: parsedKey });
    res.status(result.created ? 202 : 200).json(result.event);
  });

  router.get('/:id', async (req, res) => {
    const event = await deps.models.Event.findById(req.params.id).lean();
    if (!event) throw notFound('Event');
    const described = await describeEvent(deps.models, event);
    res.json({
      ...described,
      data: eventData(event),
      entityIds: event.entityIds,
      occurredAt: event.occurredAt,
      createdAt: event.createdAt,
      dispatchedAt: event.dispatchedAt,
    });
  });

  return router;
}
