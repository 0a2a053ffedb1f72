/**
 * Event ingestion, shared by `POST /v1/events` and inbound direct URLs: store the event (the
 * unique dedupeKey index makes concurrent duplicates return the first result), fan out to every
 * matching webhook, create the notifications, then start their workflows concurrently.
 *
 * Accept-then-dispatch: once the event is stored it is never lost. If Temporal cannot be reached,
 * the event stays undispatched (`dispatchedAt: null`) and the dispatcher (src/dispatcher.ts)
 * starts its workflows later; the caller still gets 202.
 */
import type { Logger } from './logger';
import type { Models } from './models';
import { eventData, type EventDoc } from './models/event';
import { webhookCondition } from './models/webhook';
import { createHash } from 'node:crypto';
import { newId } from './ids';
import { matchesCondition } from './matching/condition';
import { isTargeted } from './matching/targeting';
import { notificationWorkflowId } from '../workflows/shared';
import { startNotificationWorkflow, type TemporalHandle } from './temporal';

export interface IncomingEvent {
  id?: string;
  type: string;
  data: Record<string, unknown>;
  entityIds: string[];
  occurredAt?: Date;
}

export interface IngestResult {
  created: boolean;
  event: { id: string; type: string; notifications: Array<{ id: string; webhookId: string; status: string }> };
}

export interface IngestDeps {
  models: Models;
  temporal: TemporalHandle;
  logger: Logger;
}

const DUPLICATE_KEY = 11000;

export async function ingestEvent(
  deps: IngestDeps,
  input: IncomingEvent,
  opts: { idempotencyKey?: string; source?: string } = {},
): Promise<IngestResult> {
  const { models } = deps;
  const id = input.id ?? newId('evt');
  const dedupeKey = opts.idempotencyKey ? `key:${opts.idempotencyKey}` : `id:${id}`;
  let event: EventDoc & { _id: string };
  try {
    const created = await models.Event.create({
      _id: id,
      type: input.type,
      dataJson: JSON.stringify(input.data),
      entityIds: input.entityIds,
      occurredAt: input.occurredAt ?? new Date(),
      dedupeKey,
      source: opts.source ?? null,
    });
    // The created document is what a read would return: no second round trip.
    event = created.toObject() as EventDoc & { _id: string };
  } catch (err) {
    if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
    // A duplicate (repeated id or Idempotency-Key): answer with the first event's result.
    const first = await waitForFanOut(models, { $or: [{ dedupeKey }, { _id: id }] });
    if (!first) throw err;
    return { created: false, event: await describeEvent(models, first) };
  }

  const notifications = await createNotifications(models, event);
  await dispatchEvent(deps, event._id, notifications);
  return {
    created: true,
    event: { id, type: input.type, notifications: notifications.map((n) => ({ id: n._id, webhookId: n.webhookId, status: 'pending' })) },
  };
}

const FAN_OUT_WAIT_MS = 5000;
const FAN_OUT_POLL_MS = 25;

/**
 * A concurrent duplicate can arrive while the first request is still fanning out; answering then
 * would list no notifications, which is not "the first result". So wait (briefly, bounded) for
 * the first request to finish: `dispatchedAt` is set once its notifications exist and their
 * workflows started. Costs nothing on the happy path (no extra write). After the bound (Temporal
 * slow or down), the notifications are already stored before dispatch, so the answer is still
 * right; an old undispatched event is the dispatcher's job and is answered at once.
 */
async function waitForFanOut(models: Models, filter: Record<string, unknown>) {
  const deadline = Date.now() + FAN_OUT_WAIT_MS;
  for (;;) {
    const first = await models.Event.findOne(filter, { type: 1, dispatchedAt: 1, createdAt: 1 }).lean();
    if (!first || first.dispatchedAt) return first;
    const age = Date.now() - (first.createdAt?.getTime() ?? 0);
    if (age > FAN_OUT_WAIT_MS || Date.now() >= deadline) return first;
    await new Promise((r) => setTimeout(r, FAN_OUT_POLL_MS));
  }
}

/**
 * Finds the webhooks this event goes to and creates one pending notification for each. Idempotent:
 * a notification's ID derives from (event, webhook), so the dispatcher can redo an interrupted
 * fan-out without creating a second notification for the same pair.
 */
export async function createNotifications(models: Models, event: EventDoc & { _id: string }) {
  const settings = await models.Setting.findById('global').lean();
  if (settings?.webhookCommunications === 'none') return [];

  const candidates = await models.Webhook.find({ enabled: true, deletedAt: null, eventTypes: { $in: [event.type, '*'] } }).lean();
  const subject = { type: event.type, data: eventData(event), entityIds: event.entityIds };
  const matching = candidates.filter((w) => matchesCondition(webhookCondition(w), subject));
  if (matching.length === 0) return [];

  const subs = event.entityIds.length
    ? await models.Subscription.find({ webhookId: { $in: matching.map((w) => w._id) }, entityId: { $in: event.entityIds } }).lean()
    : [];
  const byWebhook = new Map<string, Map<string, boolean>>();
  for (const s of subs) {
    if (!byWebhook.has(s.webhookId)) byWebhook.set(s.webhookId, new Map());
    byWebhook.get(s.webhookId)!.set(s.entityId, s.enabled);
  }
  const targeted = matching.filter((w) => isTargeted(w.targeting as 'opt-in' | 'opt-out', event.entityIds, byWebhook.get(w._id) ?? new Map()));

  const docs = targeted.map((w) => {
    const nid = notificationIdFor(event, w._id);
    return {
      _id: nid,
      eventId: event._id,
      eventType: event.type,
      entityIds: event.entityIds,
      webhookId: w._id,
      webhookName: w.name,
      status: 'pending' as const,
      workflowId: notificationWorkflowId(nid),
    };
  });
  if (docs.length) {
    try {
      await models.Notification.insertMany(docs, { ordered: false });
    } catch (err) {
      const errors = (err as { writeErrors?: Array<{ code?: number; err?: { code?: number } }> }).writeErrors;
      const onlyDuplicates = errors?.every((e) => (e.code ?? e.err?.code) === DUPLICATE_KEY);
      if (!onlyDuplicates && (err as { code?: number }).code !== DUPLICATE_KEY) throw err;
    }
  }
  // Method and URL template ride along (not stored) for the workflow's Web UI summary.
  return docs.map((d, i) => ({ ...d, method: targeted[i].method, url: targeted[i].url }));
}

function notificationIdFor(event: { _id: string; createdAt?: Date | null }, webhookId: string): string {
  const time = (event.createdAt ?? new Date()).getTime().toString(36).padStart(9, '0');
  return `ntf_${time}${createHash('sha256').update(`${event._id}\n${webhookId}`).digest('hex').slice(0, 16)}`;
}

/**
 * Starts the workflows of an event's notifications, all at once, then marks the event dispatched.
 * On failure the event stays undispatched for the dispatcher to retry; nothing is thrown.
 */
export async function dispatchEvent(
  deps: IngestDeps,
  eventId: string,
  notifications: Array<{ _id: string; webhookId: string; eventType: string; method?: string | null; url?: string | null }>,
): Promise<boolean> {
  try {
    await Promise.all(
      notifications.map((n) =>
        startNotificationWorkflow(deps.temporal, { id: n._id, webhookId: n.webhookId, eventType: n.eventType, method: n.method ?? undefined, url: n.url ?? undefined }),
      ),
    );
    await deps.models.Event.updateOne({ _id: eventId }, { $set: { dispatchedAt: new Date() } });
    return true;
  } catch (err) {
    deps.logger.warn({ eventId, err: (err as Error).message }, 'could not start workflows; the dispatcher will retry');
    return false;
  }
}

export async function describeEvent(models: Models, event: Pick<EventDoc, 'type'> & { _id: string }) {
  const notifications = await models.Notification.find({ eventId: event._id }, { webhookId: 1, status: 1 }).sort({ _id: 1 }).lean();
  return {
    id: event._id,
    type: event.type,
    notifications: notifications.map((n) => ({ id: n._id, webhookId: n.webhookId, status: n.status as string })),
  };
}
