/**
 * Replay: re-run the fan-out of stored events against the webhooks as they are now, creating a
 * notification only for each (event, webhook) pair that has none. It reuses the fan-out's own
 * createNotifications and dispatchEvent (src/fan-out.ts): a notification's id derives from (event,
 * webhook), so a pair that already has one is never created twice, however often a replay runs.
 *
 * Shared by the replay activity (which heartbeats its position, so a retried activity resumes where
 * it stopped) and `herald replay` (which draws progress). Events are taken oldest first, so
 * receivers get a backlog in the order it happened.
 */
import { createNotifications, dispatchEvent, type FanOutDeps } from './fan-out';
import { findEvents, type EventFilter, type EventPosition, type StoredEvent } from './models/event-filter';
import type { TemporalTarget } from './temporal';
import { currentAccountId } from './accounts/scope';
import { HeraldAccountId, REPLAY_WORKFLOW, replayWorkflowId, type ReplayFilter, type ReplayResult } from '../workflows/shared';

export interface ReplayProgress extends ReplayResult {
  /** The last event handled: resume after it. */
  position: EventPosition | null;
}

export interface ReplayManyOptions {
  /** Only events created at or before this time (the moment the request was made). */
  notAfter?: Date;
  from?: ReplayProgress;
  pageSize?: number;
  onProgress?: (p: ReplayProgress) => void | Promise<void>;
}

/** Thrown when the new notifications' workflows could not be started (Temporal unreachable). */
export class ReplayDispatchError extends Error {
  override readonly name = 'ReplayDispatchError';
}

export type ReplayDeps = FanOutDeps;

export async function replayMany(deps: ReplayDeps, filter: EventFilter, opts: ReplayManyOptions = {}): Promise<ReplayProgress> {
  const progress: ReplayProgress = { ...(opts.from ?? { position: null, events: 0, created: 0, eventsWithNew: 0 }) };
  for (;;) {
    const page = await findEvents(deps.models, filter, { after: progress.position, order: 'oldest', limit: opts.pageSize ?? 100, notAfter: opts.notAfter });
    for (const event of page.events) {
      const created = await replayEvent(deps, event);
      progress.events++;
      progress.created += created;
      if (created > 0) progress.eventsWithNew++;
      progress.position = { createdAt: (event.createdAt ?? new Date(0)).toISOString(), id: event._id };
      await opts.onProgress?.({ ...progress });
    }
    if (!page.next) return progress;
    progress.position = page.next;
  }
}

/** One event's fan-out, again; returns how many notifications it created. */
export async function replayEvent(deps: ReplayDeps, event: StoredEvent): Promise<number> {
  const before = await deps.models.Notification.find({ eventId: event._id }, { status: 1, attemptCount: 1 }).lean();
  const existing = new Map(before.map((n) => [n._id, n]));
  const targeted = await createNotifications(deps, event);
  const fresh = targeted.filter((n) => !existing.has(n._id));
  // Only new pairs are started, plus those still pending with no attempt: they may be this replay's
  // own from an attempt that died between creating and starting them (starting a running workflow
  // is a no-op). Never an older one: its workflow may be closed and gone, and a start would send it again.
  const toStart = targeted.filter((n) => {
    const old = existing.get(n._id);
    return !old || (old.status === 'pending' && !old.attemptCount);
  });
  if (toStart.length === 0) return 0;
  if (!(await dispatchEvent(deps, event._id, toStart))) {
    // Leave the event to the dispatch sweeper too, then fail: the caller retries (the activity) or reports.
    await deps.models.Event.updateOne({ _id: event._id }, { $set: { dispatchedAt: null } });
    throw new ReplayDispatchError(`could not start the workflows of event ${event._id}'s notifications: Temporal unreachable`);
  }
  // dispatchEvent recorded the count it started; the event has the earlier ones too.
  await deps.models.Event.updateOne({ _id: event._id }, { $set: { notificationCount: existing.size + fresh.length } });
  return fresh.length;
}

/** The request's filter as the workflow carries it (plain strings). */
export function replayFilterInput(filter: EventFilter, notAfter: Date): ReplayFilter {
  return {
    eventId: filter.eventId,
    type: filter.type,
    entityId: filter.entityId,
    since: filter.since?.toISOString(),
    until: filter.until?.toISOString(),
    matched: filter.matched,
    notAfter: notAfter.toISOString(),
  };
}

export function replayFilterFromInput(input: ReplayFilter): EventFilter {
  return {
    eventId: input.eventId,
    type: input.type,
    entityId: input.entityId,
    since: input.since ? new Date(input.since) : undefined,
    until: input.until ? new Date(input.until) : undefined,
    matched: input.matched,
  };
}

/** Starts a replay job (see workflows/replay.ts); returns its workflow id. */
export async function startReplay(t: TemporalTarget, jobId: string, filter: ReplayFilter): Promise<string> {
  const workflowId = replayWorkflowId(jobId);
  const described = Object.entries(filter)
    .filter(([k, v]) => v !== undefined && k !== 'notAfter')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  await t.client.workflow.start(REPLAY_WORKFLOW, {
    taskQueue: t.taskQueue,
    workflowId,
    args: [{ ...filter, accountId: currentAccountId() }],
    typedSearchAttributes: [{ key: HeraldAccountId, value: currentAccountId() }],
    staticSummary: `replay of events: ${described}`,
  });
  return workflowId;
}
