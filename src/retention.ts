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
 *
 * At size: the purge walks the accounts that hold data (one index probe each) and deletes each
 * account's expired documents from an index range (accountId, status, updatedAt for
 * notifications, accountId, createdAt, _id for events) a batch at a time, a hundred per delete
 * statement, with the entity links of what it deletes; the activities pace the batches
 * (activities/purge.ts). The dry run counts up to PREVIEW_LIMIT of each and says when it stopped.
 */
import type { Model } from 'mongoose';
import type { Models } from './models';
import { positionOf } from './models/event-filter';
import { acrossAccounts, inAccount } from './accounts/scope';
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

/** Any date Herald wrote (after 2001): `dispatchedAt` set, as an index range rather than `$ne: null`. */
const WRITTEN = new Date(1_000_000_000_000);

/** Old events, dispatched (the sweeper is done with them), as ranges of the account's (createdAt, _id) index. */
function oldEvents(cutoff: Date, after: { createdAt: string; id: string } | null | undefined): Array<{ filter: Record<string, unknown>; sort: Record<string, 1> }> {
  const dispatched = { dispatchedAt: { $gte: WRITTEN } };
  if (!after) return [{ filter: { createdAt: { $lt: cutoff }, ...dispatched }, sort: { createdAt: 1, _id: 1 } }];
  const at = new Date(after.createdAt);
  return [
    // The rest of the position's millisecond, then the later ones: two ranges, not an $or (read in memory).
    { filter: { createdAt: at, _id: { $gt: after.id }, ...dispatched }, sort: { _id: 1 } },
    { filter: { createdAt: { $gt: at, $lt: cutoff }, ...dispatched }, sort: { createdAt: 1, _id: 1 } },
  ];
}

/** An account with data to judge, and its cutoff for this purge (its own retention, else HERALD_RETENTION's). */
export type AccountCutoff = [accountId: string, cutoff: Date];

/** A collection the purge walks account by account (its indexes lead with `accountId`). */
type TenantModel = Model<{ _id: string; accountId: string }>;

/** The accounts that hold documents in `model`, in order: one index probe each (a skip over the `accountId` prefix). */
async function accountsWithData(Model: TenantModel): Promise<string[]> {
  const found: string[] = [];
  for (;;) {
    const next = await acrossAccounts(() =>
      Model.findOne(found.length ? { accountId: { $gt: found[found.length - 1] } } : { accountId: { $gt: '' } }, { accountId: 1 })
        .sort({ accountId: 1 })
        .lean<{ accountId: string }>(),
    );
    if (!next) return found;
    found.push(next.accountId);
  }
}

/**
 * Every account with data in `model`, each with its cutoff: the purge's cutoff moved by the
 * difference between the account's own retention and HERALD_RETENTION. Accounts are read by id.
 */
export async function accountCutoffs(models: Pick<Models, 'Account'>, model: TenantModel, cutoff: Date, retentionSeconds: number): Promise<AccountCutoff[]> {
  const ids = await accountsWithData(model);
  const own = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 500) {
    const accounts = await models.Account.find({ _id: { $in: ids.slice(i, i + 500) } }, { retentionSeconds: 1 }).lean();
    for (const a of accounts) if (typeof a.retentionSeconds === 'number') own.set(a._id, a.retentionSeconds);
  }
  return ids.map((id) => [id, own.has(id) ? new Date(cutoff.getTime() + (retentionSeconds - own.get(id)!) * 1000) : cutoff]);
}

/** Deletes at most this many documents per statement: the store's writer is not held long (deliveries write in between). */
const DELETE_CHUNK = 100;

/** Deletes the entity links of notifications or events that are gone (of `ids`, those no longer stored). */
async function deleteLinksOfGone(models: Pick<Models, 'EntityLink'>, Model: TenantModel, ids: string[], deleted: number): Promise<void> {
  if (deleted === 0) return;
  let gone = ids;
  if (deleted < ids.length) {
    // A resend between the read and the delete kept some: their links stay.
    const kept = new Set((await Model.find({ _id: { $in: ids } }, { _id: 1 }).lean<Array<{ _id: string }>>()).map((d) => d._id));
    gone = ids.filter((id) => !kept.has(id));
  }
  if (gone.length) await models.EntityLink.deleteMany({ ref: { $in: gone } });
}

/** Up to `limit` purgeable notifications of the current account deleted, with their entity links. */
async function purgeNotificationsOfAccount(models: Pick<Models, 'Notification' | 'EntityLink'>, cutoff: Date, limit: number): Promise<PurgeBatchResult> {
  const query = purgeableNotifications(cutoff);
  const ids = (await models.Notification.find(query, { _id: 1 }).limit(limit).lean()).map((n) => n._id);
  let deleted = 0;
  for (let i = 0; i < ids.length; i += DELETE_CHUNK) {
    const chunk = ids.slice(i, i + DELETE_CHUNK);
    // The same conditions again: a resend between the read and the delete keeps its notification.
    const { deletedCount } = await models.Notification.deleteMany({ _id: { $in: chunk }, ...query });
    await deleteLinksOfGone(models, models.Notification as never, chunk, deletedCount);
    deleted += deletedCount;
  }
  return { scanned: ids.length, deleted };
}

/**
 * One batch of notifications: up to `limit` purgeable ones deleted, account after account from
 * `accounts` (each by its own cutoff); an account found with nothing more is taken off the front
 * of `accounts`, so the next batch starts where this one stopped. `scanned` under `limit`: done.
 */
export async function purgeNotificationBatch(models: Pick<Models, 'Notification' | 'EntityLink'>, input: PurgeBatchInput, accounts: AccountCutoff[]): Promise<PurgeBatchResult> {
  const total: PurgeBatchResult = { scanned: 0, deleted: 0 };
  while (accounts.length && total.scanned < input.limit) {
    const [accountId, cutoff] = accounts[0];
    const asked = input.limit - total.scanned;
    const r = await inAccount(accountId, () => purgeNotificationsOfAccount(models, cutoff, asked));
    total.scanned += r.scanned;
    total.deleted += r.deleted;
    if (r.scanned < asked) accounts.shift();
  }
  return total;
}

type EventBatchModels = Pick<Models, 'Event' | 'Notification' | 'EntityLink'>;

/** Up to `limit` old events of the current account after `after`, oldest first; those with no notification left deleted. */
async function purgeEventsOfAccount(models: EventBatchModels, cutoff: Date, after: PurgeBatchInput['after'], limit: number): Promise<PurgeBatchResult> {
  const events: Array<{ _id: string; createdAt?: Date | null }> = [];
  for (const range of oldEvents(cutoff, after)) {
    if (events.length >= limit) break;
    events.push(...(await models.Event.find(range.filter, { _id: 1, createdAt: 1 }).sort(range.sort).limit(limit - events.length).lean()));
  }
  if (events.length === 0) return { scanned: 0, deleted: 0, next: null };
  const ids = events.map((e) => e._id);
  const kept = new Set(await models.Notification.distinct('eventId', { eventId: { $in: ids } }));
  const gone = ids.filter((id) => !kept.has(id));
  let deleted = 0;
  for (let i = 0; i < gone.length; i += DELETE_CHUNK) {
    const chunk = gone.slice(i, i + DELETE_CHUNK);
    const { deletedCount } = await models.Event.deleteMany({ _id: { $in: chunk }, createdAt: { $lt: cutoff } });
    await deleteLinksOfGone(models, models.Event as never, chunk, deletedCount);
    deleted += deletedCount;
  }
  return { scanned: events.length, deleted, next: positionOf(events[events.length - 1]) };
}

/**
 * One batch of events, account after account and oldest first within each, from `input.after`
 * (which names its account): of up to `limit` old events, those with no notification left are
 * deleted with their entity links; `next` is where the following batch starts (events that keep
 * a notification are passed over, not read again).
 */
export async function purgeEventBatch(models: EventBatchModels, input: PurgeBatchInput, accounts: AccountCutoff[]): Promise<PurgeBatchResult> {
  const total: PurgeBatchResult = { scanned: 0, deleted: 0, next: input.after ?? null };
  const from = input.after?.accountId;
  for (const [accountId, cutoff] of accounts) {
    if (total.scanned >= input.limit) break;
    // Positions without an account (a run started before accounts were walked) start over: deletes are idempotent.
    if (from !== undefined && accountId < from) continue;
    const after = from === accountId ? input.after : null;
    const asked = input.limit - total.scanned;
    const r = await inAccount(accountId, () => purgeEventsOfAccount(models, cutoff, after, asked));
    total.scanned += r.scanned;
    total.deleted += r.deleted;
    if (r.next) total.next = { ...r.next, accountId };
  }
  return total;
}

export interface PurgeCounts {
  notifications: number;
  events: number;
}

/**
 * The dry run counts up to this many of each: past it, the counts are "at least" (`exact: false`).
 * Counting reads each document counted (the embedded store has no index-only count), about 1 s per
 * thousand of each on a loaded two-core machine.
 */
export const PREVIEW_LIMIT = 1_000;

/**
 * What a purge with this cutoff would delete now in the current account (the dry run): the same
 * rules, counted, nothing written. Bounded: each count reads at most `limit` documents from an
 * index range, so at a million expired documents it answers "at least `limit`" in bounded time.
 */
export async function countPurgeable(
  models: Pick<Models, 'Event' | 'Notification'>,
  cutoff: Date,
  limit = PREVIEW_LIMIT,
  batchSize = PURGE_BATCH_SIZE,
): Promise<PurgeCounts & { exact: boolean }> {
  // The two counts side by side: each reads its own index range.
  const [notifications, events] = await Promise.all([
    models.Notification.find(purgeableNotifications(cutoff), { _id: 1 })
      .limit(limit)
      .lean()
      .then((docs) => docs.length),
    countPurgeableEvents(models, cutoff, limit, batchSize),
  ]);
  return { notifications, events: events.count, exact: notifications < limit && events.exact };
}

/** Old events with no notification that stays, counted over at most `limit` old events. */
async function countPurgeableEvents(models: Pick<Models, 'Event' | 'Notification'>, cutoff: Date, limit: number, batchSize: number): Promise<{ count: number; exact: boolean }> {
  let count = 0;
  let scanned = 0;
  let after: { createdAt: string; id: string } | null = null;
  while (scanned < limit) {
    const batch: Array<{ _id: string; createdAt?: Date | null }> = [];
    const asked = Math.min(batchSize, limit - scanned);
    for (const range of oldEvents(cutoff, after)) {
      if (batch.length >= asked) break;
      batch.push(...(await models.Event.find(range.filter, { _id: 1, createdAt: 1 }).sort(range.sort).limit(asked - batch.length).lean()));
    }
    scanned += batch.length;
    if (batch.length === 0) return { count, exact: true };
    const ids = batch.map((e) => e._id);
    // An event stays when a notification of it stays (the purge deletes notifications first): one
    // still in its round, or active since the cutoff. Asked as two conditions SQL checks on the
    // index's rows, so only the kept ones are read, not every notification of these events.
    const [open, active] = await Promise.all([
      models.Notification.distinct('eventId', { eventId: { $in: ids }, status: { $in: OPEN_STATUSES } }),
      models.Notification.distinct('eventId', { eventId: { $in: ids }, updatedAt: { $gte: cutoff } }),
    ]);
    const kept = new Set([...open, ...active]);
    count += ids.filter((id) => !kept.has(id)).length;
    if (batch.length < asked) return { count, exact: true };
    after = positionOf(batch[batch.length - 1]);
  }
  // Stopped at the limit: there may be more.
  return { count, exact: false };
}

export interface RetentionReport {
  retentionSeconds: number;
  retention: string;
  cutoff: Date;
  wouldPurge: PurgeCounts;
  /**
   * Whether `wouldPurge` is exact: each count reads at most `wouldPurgeLimit` documents, so a
   * large backlog shows as "at least" that many (false) instead of a count linear in the history.
   */
  wouldPurgeExact: boolean;
  wouldPurgeLimit: number;
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
  const [{ exact, ...wouldPurge }, schedule, historyRetention] = await Promise.all([
    countPurgeable(deps.models, cutoff),
    fromTemporal(deps.temporal.client.connection, () => describePurgeSchedule(deps.temporal.client, deps.temporal.taskQueue)),
    fromTemporal(deps.temporal.connection, () => historyRetentionSeconds(deps.temporal.connection, deps.temporal.namespace)),
  ]);
  return {
    retentionSeconds,
    retention: formatDuration(retentionSeconds),
    cutoff,
    wouldPurge,
    wouldPurgeExact: exact,
    wouldPurgeLimit: PREVIEW_LIMIT,
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
