/**
 * `GET /v1/event-types`: the event types Herald has seen and the data paths each carried, for the
 * console's placeholder picker. Derived from a sample of the newest events (not a scan of the
 * whole collection), so it stays cheap however long the history is. Herald's operational event
 * types are always listed (`operational: true`), seen or not, with the paths of their documented
 * data, so an operator can subscribe to one before it ever happened.
 *
 * Under it, each type's declared versions (src/routes/event-type-versions.ts).
 */
import { publicEventId } from '../accounts/event-ids';
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { parseQuery } from '../http/validate';
import { eventData } from '../models/event';
import { OPERATIONAL_EVENT_TYPES, OPERATIONAL_EVENTS, isOperationalEventType } from '../operational-events';
import { eventTypeVersionRoutes } from './event-type-versions';
import { compareVersions } from '../versions/semver-order';

export const eventTypesQuery = z
  .object({
    sample: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(2000, 'must be at most 2000').default(500),
  })
  .strict();

// A deeply nested or very wide payload must not produce thousands of picker entries.
const MAX_PATHS_PER_TYPE = 200;
const MAX_DEPTH = 6;

/**
 * Handlebars paths of a data object: `amount`, `client`, `client.name`, and for arrays the array
 * itself plus its first element's paths as `items.[0].sku` (Handlebars' segment-literal syntax).
 */
export function dataPaths(data: unknown, prefix = '', depth = 0, out = new Set<string>()): Set<string> {
  if (depth >= MAX_DEPTH || out.size >= MAX_PATHS_PER_TYPE || data === null || typeof data !== 'object') return out;
  if (Array.isArray(data)) {
    if (data.length > 0) dataPaths(data[0], `${prefix}.[0]`, depth + 1, out);
    return out;
  }
  for (const [key, value] of Object.entries(data)) {
    if (out.size >= MAX_PATHS_PER_TYPE) break;
    // A key Handlebars cannot name as a plain segment is written as a segment literal.
    const segment = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : `[${key.replace(/]/g, '')}]`;
    const path = prefix ? `${prefix}.${segment}` : segment;
    out.add(path);
    dataPaths(value, path, depth + 1, out);
  }
  return out;
}

export function eventTypesRouter(deps: AppDeps): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const q = parseQuery(eventTypesQuery, req.query);
    // Bounded above so the embedded store knows createdAt is a date it may read in index order.
    const events = await deps.models.Event.find({ createdAt: { $lte: new Date(Date.now() + 86_400_000) } }, { _id: 1, type: 1, dataJson: 1, createdAt: 1 })
      .sort({ createdAt: -1, _id: -1 })
      .limit(q.sample)
      .lean();
    const byType = new Map<string, { type: string; count: number; lastSeenAt: Date | undefined; latestEventId: string; paths: Set<string> }>();
    for (const e of events) {
      let entry = byType.get(e.type);
      if (!entry) byType.set(e.type, (entry = { type: e.type, count: 0, lastSeenAt: e.createdAt, latestEventId: publicEventId(e._id), paths: new Set() }));
      entry.count++;
      let data: unknown = {};
      try {
        data = eventData(e);
      } catch {
        // stored before dataJson was validated JSON: no paths to offer
      }
      dataPaths(data, '', 0, entry.paths);
    }
    // Versioned types: their newest version, and listed even before their first event.
    const declared = await deps.models.EventTypeVersion.find({}, { _id: 0, type: 1, version: 1 }).lean();
    const newest = new Map<string, string>();
    for (const d of declared) {
      const current = newest.get(d.type);
      if (!current || compareVersions(d.version, current) > 0) newest.set(d.type, d.version);
    }
    const seen = [...byType.values()].map((t) => ({
      type: t.type,
      count: t.count,
      lastSeenAt: t.lastSeenAt ?? null,
      latestEventId: t.latestEventId as string | null,
      dataPaths: [...t.paths].sort(),
      operational: isOperationalEventType(t.type),
      newestVersion: newest.get(t.type) ?? null,
    }));
    const versionedUnseen = [...newest.keys()].filter((type) => !byType.has(type)).sort().map((type) => ({
      type,
      count: 0,
      lastSeenAt: null,
      latestEventId: null,
      dataPaths: [] as string[],
      operational: false,
      newestVersion: newest.get(type)!,
    }));
    const unseen = OPERATIONAL_EVENT_TYPES.filter((type) => !byType.has(type)).map((type) => ({
      type,
      count: 0,
      lastSeenAt: null,
      latestEventId: null,
      dataPaths: [...dataPaths(OPERATIONAL_EVENTS[type].sample)].sort(),
      operational: true,
      newestVersion: null,
    }));
    res.json({
      // latestEventId: the console reads that event to fill its preview with real data (null: none seen yet).
      data: [...seen, ...versionedUnseen, ...unseen],
      sampled: events.length,
    });
  });

  // `GET /{type}` and `PUT /{type}/versions/{version}`: versioned event types.
  eventTypeVersionRoutes(router, deps);

  return router;
}
