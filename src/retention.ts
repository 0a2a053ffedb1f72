/**
 * Retention: which events and notifications are old enough to delete, counted (the dry run) and
 * deleted in batches (the purge activities). MongoDB has TTL indexes but FerretDB does not, so
 * retention is a job: the purge workflow, run by a Temporal Schedule (src/purge-schedule.ts).
 *
 * A notification goes when its automatic round is over (a final status, see workflows/status.ts)
 * and nothing happened to it for the retention (`updatedAt`: every attempt, resend and stop writes
 * it). An event goes when it is older than the retention, was dispatched (the dispatch sweeper is
 * not still working on it) and has no notification left. Notifications go first, so an event
 * whose last notifications are purged goes in the same run.
 */
import type { Models } from './models';
import { afterPosition, positionOf, type EventPosition } from './models/event-filter';
import { DELIVERY_STATUSES, isRoundOpen } from '../workflows/status';
import { PURGE_WORKFLOW, purgeWorkflowId, type PurgeBatchInput, type PurgeBatchResult } from '../workflows/shared';
import { historyRetentionSeconds, type TemporalHandle, type TemporalTarget } from './temporal';
import { describePurgeSchedule, type PurgeScheduleView } from './purge-schedule';
import { unavailable } from './errors';

export const PURGE_BATCH_SIZE = 500;

const FINAL_STATUSES = DELIVERY_STATUSES.filter((s) => !isRoundOpen(s));
const OPEN_STATUSES = DELIVERY_STATUSES.filter((s) => isRoundOpen(s));

export function retentionCutoff(retentionSeconds: number, now = new Date()): Date {
  return new Date(now.getTime() - retentionSeconds * 1000);
}

/** Temporal's namespace retention for closed histories: the MongoDB retention, and never under the resend window plus a day. */
export function namespaceRetentionSeconds(c: { retentionSeconds: number; resendWindowSeconds: number }): number {
  return Math.max(c.retentionSeconds, c.resendWindowSeconds + 86400);
}

/** `2592000` → `30d`: the largest unit that divides it, as HERALD_RETENTION is written. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

export function purgeableNotifications(cutoff: Date): Record<string, unknown> {
  return { status: { $in: FINAL_STATUSES }, updatedAt: { $lt: cutoff } };
}

/** Notifications that keep their event: still in their round, or active since the cutoff. */
function keptNotifications(cutoff: Date): Record<string, unknown> {
  return { $or: [{ status: { $in: OPEN_STATUSES } }, { updatedAt: { $gte: cutoff } }] };
}

function oldEvents(cutoff: Date, after: EventPosition | null | undefined): Record<string, unknown> {
  const base = { createdAt: { $lt: cutoff }, dispatchedAt: { $ne: null } };
  return after ? { $and: [base, afterPosition(after, 'oldest')] } : base;
}

/** An account whose own retention differs from HERALD_RETENTION, with its cutoff for this purge. */
export type AccountCutoff = [accountId: string, cutoff: Date];

/**
 * The accounts with their own retention, each with its cutoff: the purge's cutoff moved by the
 * difference between the two retentions, so one purge run applies every account's rule.
 */
export async function accountCutoffs(models: Pick<Models, 'Account'>, cutoff: Date, retentionSeconds: number): Promise<AccountCutoff[]> {
  const accounts = await models.Account.find({ retentionSeconds: { $ne: null } }, { retentionSeconds: 1 }).lean();
  return accounts.map((a) => [a._id, new Date(cutoff.getTime() + (retentionSeconds - a.retentionSeconds!) * 1000)]);
}

/** A purge condition built for each account's cutoff: HERALD_RETENTION's for the rest (across accounts). */
export function perAccount(build: (cutoff: Date) => Record<string, unknown>, cutoff: Date, overrides: AccountCutoff[]): Record<string, unknown> {
  if (overrides.length === 0) return build(cutoff);
  return {
    $or: [
      { accountId: { $nin: overrides.map(([id]) => id) }, ...build(cutoff) },
      ...overrides.map(([accountId, own]) => ({ accountId, ...build(own) })),
    ],
  };
}

/** One batch of notifications: up to `limit` purgeable ones deleted. */
export async function purgeNotificationBatch(models: Pick<Models, 'Notification'>, input: PurgeBatchInput, overrides: AccountCutoff[] = []): Promise<PurgeBatchResult> {
  const query = perAccount(purgeableNotifications, new Date(input.cutoff), overrides);
  const ids = (await models.Notification.find(query, { _id: 1 }).limit(input.limit).lean()).map((n) => n._id);
  if (ids.length === 0) return { scanned: 0, deleted: 0 };
  // The same conditions again: a resend between the read and the delete keeps its notification.
  const { deletedCount } = await models.Notification.deleteMany({ _id: { $in: ids }, ...query });
  return { scanned: ids.length, deleted: deletedCount };
}

/**
 * One batch of events, oldest first after `input.after`: of up to `limit` old events, those with no
 * notification left are deleted; `next` is where the following batch starts (events that keep a
 * notification are passed over, not read again).
 */
export async function purgeEventBatch(models: Pick<Models, 'Event' | 'Notification'>, input: PurgeBatchInput, overrides: AccountCutoff[] = []): Promise<PurgeBatchResult> {
  const cutoff = new Date(input.cutoff);
  const events = await models.Event.find(perAccount((c) => oldEvents(c, input.after), cutoff, overrides), { _id: 1, createdAt: 1 }).sort({ createdAt: 1, _id: 1 }).limit(input.limit).lean();
  if (events.length === 0) return { scanned: 0, deleted: 0, next: input.after ?? null };
  const ids = events.map((e) => e._id);
  const kept = new Set(await models.Notification.distinct('eventId', { eventId: { $in: ids } }));
  const gone = ids.filter((id) => !kept.has(id));
  const { deletedCount } = gone.length ? await models.Event.deleteMany({ _id: { $in: gone }, ...perAccount((c) => ({ createdAt: { $lt: c } }), cutoff, overrides) }) : { deletedCount: 0 };
  return { scanned: events.length, deleted: deletedCount, next: positionOf(events[events.length - 1]) };
}

export interface PurgeCounts {
  notifications: number;
  events: number;
}

/** What a purge with this cutoff would delete now (the dry run): the same rules, counted, nothing written. */
export async function countPurgeable(models: Pick<Models, 'Event' | 'Notification'>, cutoff: Date, batchSize = PURGE_BATCH_SIZE): Promise<PurgeCounts> {
  const notifications = await models.Notification.countDocuments(purgeableNotifications(cutoff));
  let events = 0;
  let after: EventPosition | null = null;
  for (;;) {
    const batch = await models.Event.find(oldEvents(cutoff, after), { _id: 1, createdAt: 1 }).sort({ createdAt: 1, _id: 1 }).limit(batchSize).lean();
    if (batch.length === 0) break;
    const ids = batch.map((e) => e._id);
    // An event stays when a notification of it stays (the purge deletes notifications first).
    const kept = await models.Notification.distinct('eventId', { eventId: { $in: ids }, ...keptNotifications(cutoff) });
    events += ids.length - kept.length;
    if (batch.length < batchSize) break;
    after = positionOf(batch[batch.length - 1]);
  }
  return { notifications, events };
}

export interface RetentionReport {
  retentionSeconds: number;
  retention: string;
  cutoff: Date;
  wouldPurge: PurgeCounts;
  schedule: PurgeScheduleView | null;
  temporal: { namespace: string; historyRetentionSeconds: number | null };
}

/** What `GET /v1/retention` and `herald purge --dry-run` show: the rule, what it would delete now, the schedule. */
export async function retentionReport(
  deps: { models: Pick<Models, 'Event' | 'Notification'>; temporal: Pick<TemporalHandle, 'client' | 'connection' | 'namespace' | 'taskQueue'> },
  retentionSeconds: number,
  now = new Date(),
): Promise<RetentionReport> {
  const cutoff = retentionCutoff(retentionSeconds, now);
  // A bounded wait, and a 503 naming Temporal rather than a 500 when it is down.
  const fromTemporal = <T>(conn: { withDeadline<R>(deadline: number, fn: () => Promise<R>): Promise<R> }, fn: () => Promise<T>) =>
    conn.withDeadline(Date.now() + 5_000, fn).catch((err: Error) => {
      throw unavailable(`Temporal is unreachable: ${err.message}`);
    });
  const [wouldPurge, schedule, historyRetention] = await Promise.all([
    countPurgeable(deps.models, cutoff),
    fromTemporal(deps.temporal.client.connection, () => describePurgeSchedule(deps.temporal.client, deps.temporal.taskQueue)),
    fromTemporal(deps.temporal.connection, () => historyRetentionSeconds(deps.temporal.connection, deps.temporal.namespace)),
  ]);
  return {
    retentionSeconds,
    retention: formatDuration(retentionSeconds),
    cutoff,
    wouldPurge,
    schedule,
    temporal: { namespace: deps.temporal.namespace, historyRetentionSeconds: historyRetention },
  };
}

/** Starts a purge now (the API's job, `herald purge`); returns its workflow id. The schedule may run one too: deletes are idempotent. */
export async function startPurge(t: TemporalTarget, jobId: string): Promise<string> {
  const workflowId = purgeWorkflowId(jobId);
  await t.client.workflow.start(PURGE_WORKFLOW, { taskQueue: t.taskQueue, workflowId, args: [{}], staticSummary: 'retention purge (on demand)' });
  return workflowId;
}
