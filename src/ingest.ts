/**
 * Event ingestion, shared by `POST /v1/events` and inbound direct URLs: store the event (the
 * unique dedupeKey index makes concurrent duplicates return the first result), then fan out
 * (src/fan-out.ts): one rendered notification per matching webhook, workflows started at once.
 *
 * Accept-then-dispatch: the answer (202) is given only once the event is stored, and the stored
 * event is never lost. If the fan-out or the starts fail (MongoDB or Temporal down, a crash), the
 * event stays undispatched (`dispatchedAt: null`) and the dispatch sweeper (src/dispatch-sweeper.ts)
 * finishes it; a duplicate request finishes it too before answering, so its answer is complete.
 *
 * The stream log (src/stream/log.ts): the event is inserted with its partition and offset, so an
 * event answered 202 is in the log. The offset costs one write (a counter) before the insert; an
 * offset a failed or duplicate insert leaves unused is marked skipped for readers.
 */
import type { Models } from './models';
import type { EventDoc } from './models/event';
import { newId } from './ids';
import { fanOut, type FanOutDeps } from './fan-out';
import { isDuplicateKey } from './db';
import { validationError } from './errors';
import { loadChain } from './models/event-type-version';
import { isReservedEventType } from './matching/event-type';
import { postedVersion } from './versions/posted';
import { allocateOffset, LATE_INSERT_MS, markSkipped, reappend } from './stream/log';
import { rememberAppended } from './stream/recent';
import type { LogEvent } from './stream/log-reader';
import { currentAccountId } from './accounts/scope';
import { publicEventId, storedEventId } from './accounts/event-ids';

export interface IncomingEvent {
  id?: string;
  type: string;
  data: Record<string, unknown>;
  entityIds: string[];
  occurredAt?: Date;
  /** The event-type version `data` is in (versioned types); default: the type's newest. */
  version?: string;
}

export interface IngestResult {
  created: boolean;
  event: { id: string; type: string; notifications: Array<{ id: string; webhookId: string; status: string }> };
}

export type IngestDeps = FanOutDeps;


export async function ingestEvent(
  deps: IngestDeps,
  input: IncomingEvent,
  opts: { idempotencyKey?: string; source?: string; dedupeKey?: string } = {},
): Promise<IngestResult> {
  const { models } = deps;
  // A client's id is its account's (src/accounts/event-ids.ts); dedupeKey keeps the id as the client gave it.
  const id = input.id === undefined ? newId('evt') : storedEventId(currentAccountId(), input.id);
  // `dedupeKey` given whole: Herald's own events (src/operational-events.ts) use a namespace no
  // client Idempotency-Key or event id can reach.
  const dedupeKey = opts.dedupeKey ?? (opts.idempotencyKey ? `key:${opts.idempotencyKey}` : `id:${input.id ?? id}`);
  // Versioned types: the posted version is checked (and data against its schema) before anything is stored.
  // The account's configuration view (one read, revalidated) serves the version check and the fan-out.
  const config = await deps.configCache.current();
  const chain = isReservedEventType(input.type) ? [] : await loadChain(models.EventTypeVersion, input.type, config.version);
  const posted = postedVersion(chain, input.version, input.data);
  if (posted.issues.length) throw validationError(posted.issues, `The event does not match its event type${posted.version ? ` version ${posted.version}` : ''}`);
  let event: EventDoc & { _id: string };
  const log = await allocateOffset(models, input.entityIds, id);
  const insertStarted = Date.now();
  try {
    const created = await models.Event.create({
      _id: id,
      type: input.type,
      dataJson: JSON.stringify(input.data),
      version: posted.version,
      entityIds: input.entityIds,
      occurredAt: input.occurredAt ?? new Date(),
      dedupeKey,
      source: opts.source ?? null,
      streamPartition: log.partition,
      streamOffset: log.offset,
    });
    // The created document is what a read would return: no second round trip.
    event = created.toObject() as EventDoc & { _id: string };
  } catch (err) {
    await markSkipped(models, log).catch((skipErr: unknown) => deps.logger.warn({ err: skipErr, eventId: id }, 'could not mark an unused stream offset; readers pass it after the gap timeout'));
    if (!isDuplicateKey(err)) throw err;
    // A duplicate (repeated id or Idempotency-Key): answer with the first event's result.
    // Two index reads (an $or would be read in memory): the key's first event, else the id's.
    const first = (await models.Event.findOne({ dedupeKey }).lean()) ?? (await models.Event.findOne({ _id: id }).lean());
    if (!first) throw err;
    return { created: false, event: await completeDuplicate(deps, first) };
  }

  // Readers may already have given up on this offset as a gap: read it again at a fresh one.
  if (Date.now() - insertStarted > LATE_INSERT_MS) event.streamOffset = await reappend(models, id, log.partition);
  rememberAppended(models.StreamOffsetClaim, currentAccountId(), event as LogEvent);

  const { notifications } = await fanOut(deps, event, chain, config).catch((err: unknown) => {
    // Stored but not fanned out (MongoDB went away mid-way): accepted all the same, the sweeper
    // finishes it. The answer lists no notifications: a repeat of the request will.
    deps.logger.warn({ err, eventId: id }, 'fan-out failed; the dispatch sweeper will finish it');
    return { notifications: [] };
  });
  return {
    created: true,
    event: { id: publicEventId(id), type: input.type, notifications: notifications.map((n) => ({ id: n._id, webhookId: n.webhookId, status: n.status })) },
  };
}

/**
 * The first request's result, complete: if its fan-out did not finish (a crash, an outage, or it
 * is still running concurrently), finish it now (idempotent), so the answer lists every notification.
 */
async function completeDuplicate(deps: IngestDeps, first: EventDoc & { _id: string }) {
  if (!first.dispatchedAt) await fanOut(deps, first);
  return describeEvent(deps.models, first);
}

export async function describeEvent(models: Models, event: Pick<EventDoc, 'type'> & { _id: string }) {
  const notifications = await models.Notification.find({ eventId: event._id }, { webhookId: 1, status: 1 }).sort({ _id: 1 }).lean();
  return {
    id: publicEventId(event._id),
    type: event.type,
    notifications: notifications.map((n) => ({ id: n._id, webhookId: n.webhookId, status: n.status as string })),
  };
}
