/**
 * Fan-out: an accepted event becomes one notification per matching webhook, each rendered once
 * here (the request snapshot is stored with the notification, so delivery only reads and sends),
 * and each notification's workflow is started. Both steps are idempotent, so the dispatch sweeper
 * and a duplicate request can redo an interrupted fan-out: a notification's ID derives from
 * (event, webhook), inserts of existing ones are ignored (the first snapshot wins), and a start of
 * a started workflow is a no-op.
 */
import { createHash } from 'node:crypto';
import type { Logger } from './logger';
import type { Models } from './models';
import type { ConfigCache, ConfigView, CachedWebhook } from './config-cache';
import type { EventDoc } from './models/event';
import { webhookCondition } from './models/webhook';
import { matchesCondition } from './matching/condition';
import { matchesEventType } from './matching/event-type';
import { isTargeted } from './matching/targeting';
import { renderSnapshot } from './render/snapshot';
import { assertRenderedSize } from './render/request-size';
import { notificationWorkflowId } from '../workflows/shared';
import type { DeliveryStatus } from '../workflows/status';
import { destinationHost, startNotificationWorkflow, type TemporalTarget } from './temporal';
import { DUPLICATE_KEY } from './db';
import { versionedData, type DataFor } from './versioned-data';
import type { VersionLink } from './models/event-type-version';
import type { NotificationHandoff } from './delivery/handoff';
import type { LoadedNotification } from './models/notification';
import { currentAccountId } from './accounts/scope';
import { markDispatched } from './dispatch-marks';
import { entityLinks } from './models/entity-link';
import { rollupsOf } from './stats/rollups';

export interface FanOutDeps {
  models: Models;
  configCache: ConfigCache;
  temporal: TemporalTarget;
  logger: Logger;
  userAgent: string;
  /** Set where this process also runs the worker: stored notifications go to its first attempts (src/delivery/handoff.ts). */
  handoff?: NotificationHandoff;
}

export type StoredEvent = Pick<EventDoc, 'type' | 'dataJson' | 'entityIds' | 'occurredAt'> & { version?: string | null } & { _id: string; createdAt?: Date | null };

export interface CreatedNotification {
  _id: string;
  webhookId: string;
  eventType: string;
  status: DeliveryStatus;
  method: string;
  url: string;
}

/**
 * The webhooks an event goes to: enabled, subscribed to its type (`*` never covers `herald.*`),
 * condition and targeting met; with the data each receives (its version of a versioned type). A
 * condition sees the data as its webhook receives it: a webhook pinned to an older version wrote
 * its condition against that version's fields.
 */
export async function matchingWebhooks(
  deps: Pick<FanOutDeps, 'models' | 'configCache'>,
  event: StoredEvent,
  chain?: VersionLink[],
  view?: ConfigView,
): Promise<{ webhooks: CachedWebhook[]; dataFor: DataFor }> {
  const config = view ?? (await deps.configCache.current());
  const none = { webhooks: [], dataFor: () => ({ version: null, data: {} }) };
  if (config.communications === 'none') return none;
  const typed = config.active.filter((w) => matchesEventType(w.eventTypes, event.type));
  if (typed.length === 0) return none;
  const dataFor = await versionedData(deps.models, event, typed, chain, config.apiVersion);
  const entityIds = event.entityIds ?? [];
  const matching = typed.filter((w) => matchesCondition(webhookCondition(w), { type: event.type, data: dataFor(w).data, entityIds }));
  // Per-entity switches: looked up only for webhooks that have any (opt-in ones always need them).
  const needSubs = entityIds.length ? matching.filter((w) => config.withSubscriptions.has(w._id)) : [];
  const subs = needSubs.length
    ? await deps.models.Subscription.find({ webhookId: { $in: needSubs.map((w) => w._id) }, entityId: { $in: entityIds } }).lean()
    : [];
  const byWebhook = new Map<string, Map<string, boolean>>();
  for (const s of subs) {
    if (!byWebhook.has(s.webhookId)) byWebhook.set(s.webhookId, new Map());
    byWebhook.get(s.webhookId)!.set(s.entityId, s.enabled);
  }
  const webhooks = matching.filter((w) => isTargeted(w.targeting as 'opt-in' | 'opt-out', entityIds, byWebhook.get(w._id) ?? new Map()));
  return { webhooks, dataFor };
}

/** Creates (idempotently) one notification per matching webhook, with its rendered snapshot. `chain`: the type's versions, when the caller has read them. */
export async function createNotifications(
  deps: Pick<FanOutDeps, 'models' | 'configCache' | 'userAgent' | 'handoff'>,
  event: StoredEvent,
  chain?: VersionLink[],
  view?: ConfigView,
): Promise<CreatedNotification[]> {
  const { webhooks: targeted, dataFor } = await matchingWebhooks(deps, event, chain, view);
  if (targeted.length === 0) {
    await linkEntities(deps.models, event, []);
    return [];
  }
  const docs = targeted.map((w) => notificationDoc(deps, event, w, dataFor(w)));
  try {
    await Promise.all([deps.models.Notification.insertMany(docs, { ordered: false }), linkEntities(deps.models, event, docs)]);
    // All stored as they are here (none existed): their first attempts need not read them back.
    deps.handoff?.give(currentAccountId(), docs.map(asStored));
    countCreated(deps.models, docs);
  } catch (err) {
    if (!onlyDuplicateKeys(err)) throw err;
    // A redone fan-out: only the ones not there before are new.
    const existed = new Set((err as { writeErrors?: Array<{ index?: number; err?: { index?: number } }> }).writeErrors?.map((e) => e.index ?? e.err?.index) ?? docs.map((_, i) => i));
    countCreated(deps.models, docs.filter((_, i) => !existed.has(i)));
  }
  return docs.map((d, i) => ({ _id: d._id, webhookId: d.webhookId, eventType: d.eventType, status: d.status, method: targeted[i].method ?? 'POST', url: targeted[i].url }));
}

/** New notifications in the stats rollups (src/stats/rollups.ts), by the status they were stored with. */
function countCreated(models: Models, docs: Array<{ _id: string; webhookId: string; status: DeliveryStatus }>): void {
  const rollups = rollupsOf(models);
  for (const d of docs) rollups.status(d.webhookId, d._id, null, d.status);
}

/**
 * The event's and its notifications' entity links (src/models/entity-link.ts), with the fan-out so
 * the sweeper's redo completes them too; links already there are fine.
 */
async function linkEntities(models: Models, event: StoredEvent, notifications: Array<{ _id: string }>): Promise<void> {
  const entityIds = event.entityIds ?? [];
  if (entityIds.length === 0) return;
  const at = event.createdAt ?? new Date();
  const links = [entityLinks('evt', event._id, at, entityIds), ...notifications.map((n) => entityLinks('ntf', n._id, at, entityIds))].flat();
  try {
    await models.EntityLink.insertMany(links, { ordered: false });
  } catch (err) {
    if (!onlyDuplicateKeys(err)) throw err;
  }
}

/**
 * True when an insert failed only because every failing document already exists (a redone
 * fan-out), so the notifications are all stored. Not for a bulk write error without write errors:
 * the driver wraps a connection lost mid-insert (MongoDB or FerretDB dying) in a MongoBulkWriteError
 * with `writeErrors: []`, and taking that for "all duplicates" answered 202, started the workflows
 * and marked the event dispatched for notifications that were never stored: lost for good (found
 * by test/integration/zero-loss.test.ts, killing FerretDB mid-burst). Nor when a duplicate is only
 * the first of several write errors (the error's own `code` is the first one's).
 */
export function onlyDuplicateKeys(err: unknown): boolean {
  const { writeErrors, code } = err as { writeErrors?: Array<{ code?: number; err?: { code?: number } }>; code?: number };
  if (Array.isArray(writeErrors)) return writeErrors.length > 0 && writeErrors.every((e) => (e.code ?? e.err?.code) === DUPLICATE_KEY);
  return code === DUPLICATE_KEY;
}

function notificationDoc(deps: Pick<FanOutDeps, 'userAgent'>, event: StoredEvent, w: CachedWebhook, received: ReturnType<DataFor>) {
  const nid = notificationIdFor(event, w._id);
  const base = {
    _id: nid,
    eventId: event._id,
    eventType: event.type,
    entityIds: event.entityIds ?? [],
    webhookId: w._id,
    webhookName: w.name,
    workflowId: notificationWorkflowId(nid),
  };
  try {
    // The snapshot holds the data as converted for this webhook: resends send it as it is.
    const { request, warnings } = renderSnapshot({
      webhook: w,
      event: { ...event, data: received.data },
      notificationId: nid,
      userAgent: deps.userAgent,
      eventVersion: received.version,
    });
    // A request too big to store would fail every retry: refuse it here, visibly.
    assertRenderedSize(request);
    return { ...base, status: 'pending' as DeliveryStatus, request, warnings, destinationHost: destinationHost(request.url) ?? null };
  } catch (err) {
    // A template that cannot render for this event (or renders too big to store) never will: the
    // notification is failed at once, with the reason, and its workflow starts failed (so Temporal
    // and the API agree).
    const failedAt = new Date();
    return { ...base, status: 'failed' as DeliveryStatus, request: null, warnings: [`render failed: ${(err as Error).message}`], failedAt };
  }
}

/** What a read of a just-inserted notification returns, for an attempt (the schema's defaults applied). */
function asStored(doc: ReturnType<typeof notificationDoc>): LoadedNotification {
  const r = doc.request;
  return {
    _id: doc._id,
    eventId: doc.eventId,
    eventType: doc.eventType,
    webhookId: doc.webhookId,
    status: doc.status,
    request: r ? { method: r.method, url: r.url, headers: r.headers ?? {}, body: r.body ?? '' } : null,
    attemptCount: 0,
    attempts: [],
  };
}

export function notificationIdFor(event: { _id: string; createdAt?: Date | null }, webhookId: string): string {
  const time = (event.createdAt ?? new Date()).getTime().toString(36).padStart(9, '0');
  return `ntf_${time}${createHash('sha256').update(`${event._id}\n${webhookId}`).digest('hex').slice(0, 16)}`;
}

/**
 * Starts the workflows of an event's notifications, all at once, then marks the event dispatched.
 * On failure the event stays undispatched for the sweeper to retry; nothing is thrown.
 */
export async function dispatchEvent(deps: Pick<FanOutDeps, 'models' | 'temporal' | 'logger'>, eventId: string, notifications: CreatedNotification[]): Promise<boolean> {
  try {
    await Promise.all(notifications.map((n) => startNotificationWorkflow(deps.temporal, { id: n._id, webhookId: n.webhookId, eventType: n.eventType, status: n.status, method: n.method, url: n.url })));
  } catch (err) {
    deps.logger.warn({ err, eventId }, 'could not start workflows; the dispatch sweeper will retry');
    return false;
  }
  try {
    await markDispatched(deps.models, eventId, notifications.length);
  } catch (err) {
    // The workflows run; the sweeper will redo this harmless step.
    deps.logger.warn({ err, eventId }, 'could not mark the event dispatched');
  }
  return true;
}

/** Fan-out and dispatch in one: what the API does for a new event and the sweeper for a left-over one. */
export async function fanOut(deps: FanOutDeps, event: StoredEvent, chain?: VersionLink[], view?: ConfigView): Promise<{ notifications: CreatedNotification[]; dispatched: boolean }> {
  const notifications = await createNotifications(deps, event, chain, view);
  const dispatched = await dispatchEvent(deps, event._id, notifications);
  return { notifications, dispatched };
}
