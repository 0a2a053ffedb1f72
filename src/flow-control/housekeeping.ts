/**
 * The retention purge's flow-control step: removes endpoint health (webhook_health) and delivery
 * permits (delivery_permits) that can never matter again. The hot path cleans up after itself only
 * when a webhook keeps sending (a rate window's first permit clears old windows; a closing circuit
 * clears its probes and expired reports), so a webhook that goes quiet, or is deleted, leaves its
 * documents behind for good. What goes, and why it is safe (the rules are in limits.ts and
 * endpoint-health.ts):
 *
 * - health of a webhook that no longer exists (no document, or soft-deleted: `deletedAt`). A
 *   deleted webhook makes no automatic attempt again, and the API shows no deleted webhook;
 * - `report` permits whose `until` passed: they only stop racing workers (milliseconds apart) from
 *   telling one change twice, and a closing circuit removes expired ones already;
 * - `rate` permits of a window that ended more than RATE_GRACE_MS ago: a taker counts only its
 *   current window. The window's length is not stored (see endedRateWindows);
 * - `lease` permits whose `until` passed more than STALE_MS ago: an expired lease is taken over by
 *   the next taker anyway (takeLease deletes it and inserts its own), and its holder's release
 *   deletes only its own lease, so deleting one equals freeing it;
 * - `probe` permits whose `until` passed more than STALE_MS ago and that are not of their circuit's
 *   current probe period: claimProbe only ever claims the current period's permit, so an older one
 *   is never read again. The current period's permit stays however old (removing it would allow
 *   another probe of that period, which is the circuit's decision, not the purge's);
 * - `takeover` permits whose `until` (the replaced permit's) passed more than STALE_MS ago: only
 *   takers that read that permit at the same moment race for one;
 * - of a webhook that no longer exists: every probe and report, and every lease that expired. Its
 *   notifications can still be resent by hand, and such an attempt takes a lease and a rate permit:
 *   a lease not yet expired and a rate window not certainly over are kept for it.
 */
import type { Models } from '../models';
import type { WebhookHealthDoc } from '../models/webhook-health';
import { probePeriod } from './endpoint-health';
import { RATE_WINDOW_MS } from './limits';

/** Past a rate window's end: any clock skew between workers is well under it. */
export const RATE_GRACE_MS = 60_000;
/** Past a lease's or probe's `until`: the attempt that held it is certainly over. */
export const STALE_MS = 3600_000;

const PERMIT_KINDS = ['rate', 'lease', 'probe', 'report', 'takeover'] as const;
type PermitKind = (typeof PERMIT_KINDS)[number];

/** `$in` lists are read and deleted this many ids at a time. */
const ID_BATCH = 500;

export interface FlowControlPurge {
  /** webhook_health documents of webhooks that no longer exist. */
  healthDocs: number;
  /** delivery_permits documents, all kinds. */
  permits: number;
  permitsByKind: Record<PermitKind, number>;
}

/**
 * A filter on a rate permit's `n` matching the windows that certainly ended more than `graceMs`
 * before `now`. A permit stores its window's index `n` = floor(time / length) but not the length
 * (the webhook's limit may have changed since), so the length is told by what is possible: a window
 * of length L started at n·L, which cannot be after now (give or take `graceMs` of clock skew).
 * Of the lengths possible for `n`, the longest ends last, at (n + 1)·L: the window certainly ended
 * when that is more than `graceMs` ago. (Today a per-second index, ~1.7e9, is impossible as a
 * per-minute one, which would start thousands of years from now; a per-minute index read as a
 * per-second one started in 1970. An index possible under no length is kept.)
 */
export function endedRateWindows(now: Date, graceMs = RATE_GRACE_MS, lengths: readonly number[] = Object.values(RATE_WINDOW_MS)): Record<string, unknown> {
  const sorted = [...new Set(lengths)].sort((a, b) => a - b);
  const latestStart = now.getTime() + graceMs;
  const endedBy = now.getTime() - graceMs;
  return {
    $or: sorted.map((length, i) => {
      // n + 1 <= endedBy / length, n an integer: the window ended by endedBy.
      const ended = { $lte: Math.floor(endedBy / length) - 1 };
      const longer = sorted[i + 1];
      // Impossible under the next longer length (it would start after latestStart), so `length` is the longest possible.
      return { n: longer === undefined ? ended : { $gt: Math.floor(latestStart / longer), ...ended } };
    }),
  };
}

/** Of `ids`, the webhooks that exist and are not deleted. */
async function existingWebhooks(models: Pick<Models, 'Webhook'>, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += ID_BATCH) {
    const docs = await models.Webhook.find({ _id: { $in: ids.slice(i, i + ID_BATCH) }, deletedAt: null }, { _id: 1 }).lean();
    for (const d of docs) found.add(d._id as string);
  }
  return found;
}

/** Every health document's id (one per webhook that ever failed), a page of the `_id` index at a time. */
async function allHealthIds(WebhookHealth: Models['WebhookHealth']): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const page = await WebhookHealth.find(ids.length ? { _id: { $gt: ids[ids.length - 1] } } : { _id: { $gt: '' } }, { _id: 1 })
      .sort({ _id: 1 })
      .limit(ID_BATCH)
      .lean();
    ids.push(...page.map((d) => d._id as string));
    if (page.length < ID_BATCH) return ids;
  }
}

/** The webhooks that hold permits: the next webhookId after the last one, one index probe each. */
async function webhooksWithPermits(DeliveryPermit: Models['DeliveryPermit']): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const next = await DeliveryPermit.findOne({ webhookId: { $gt: ids.length ? ids[ids.length - 1] : '' } }, { webhookId: 1 })
      .sort({ webhookId: 1 })
      .lean();
    if (!next) return ids;
    ids.push(next.webhookId);
  }
}

/** Runs `remove` over `ids` a batch at a time; the number deleted. */
async function inBatches(ids: readonly string[], remove: (batch: string[]) => PromiseLike<{ deletedCount: number }>): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < ids.length; i += ID_BATCH) deleted += (await remove(ids.slice(i, i + ID_BATCH))).deletedCount;
  return deleted;
}

export async function purgeFlowControlState(models: Pick<Models, 'Webhook' | 'WebhookHealth' | 'DeliveryPermit'>, now = new Date()): Promise<FlowControlPurge> {
  const { WebhookHealth, DeliveryPermit } = models;
  // Read what to judge before the webhooks: a health document or permit only ever appears after its
  // webhook was created, so a webhook created meanwhile is never taken for a missing one.
  const healthIds = await allHealthIds(WebhookHealth);
  const liveHealth = await existingWebhooks(models, healthIds);
  const healthDocs = await inBatches(
    healthIds.filter((id) => !liveHealth.has(id)),
    (ids) => WebhookHealth.deleteMany({ _id: { $in: ids } }),
  );

  const byKind: Record<PermitKind, number> = { rate: 0, lease: 0, probe: 0, report: 0, takeover: 0 };
  const stale = new Date(now.getTime() - STALE_MS);

  const permitWebhooks = await webhooksWithPermits(DeliveryPermit);
  const livePermits = await existingWebhooks(models, permitWebhooks);
  const gone = permitWebhooks.filter((id) => !livePermits.has(id));
  byKind.probe += await inBatches(gone, (ids) => DeliveryPermit.deleteMany({ webhookId: { $in: ids }, kind: 'probe' }));
  byKind.report += await inBatches(gone, (ids) => DeliveryPermit.deleteMany({ webhookId: { $in: ids }, kind: 'report' }));
  // `until: null` matches a lease without one too (never written by takeLease).
  byKind.lease += await inBatches(gone, (ids) =>
    DeliveryPermit.deleteMany({ webhookId: { $in: ids }, kind: 'lease', $or: [{ until: null }, { until: { $lte: now } }] }),
  );

  byKind.report += (await DeliveryPermit.deleteMany({ kind: 'report', until: { $lt: now } })).deletedCount;
  byKind.rate += (await DeliveryPermit.deleteMany({ kind: 'rate', ...endedRateWindows(now) })).deletedCount;
  byKind.lease += (await DeliveryPermit.deleteMany({ kind: 'lease', until: { $lt: stale } })).deletedCount;
  byKind.probe += await deleteOldProbes(models, stale);
  byKind.takeover += (await DeliveryPermit.deleteMany({ kind: 'takeover', until: { $lt: stale } })).deletedCount;

  return { healthDocs, permits: PERMIT_KINDS.reduce((sum, k) => sum + byKind[k], 0), permitsByKind: byKind };
}

/** Probe permits that expired before `stale`, except each circuit's current period's one. */
async function deleteOldProbes(models: Pick<Models, 'WebhookHealth' | 'DeliveryPermit'>, stale: Date): Promise<number> {
  const old = await models.DeliveryPermit.find({ kind: 'probe', until: { $lt: stale } }, { _id: 1, webhookId: 1 }).lean();
  if (old.length === 0) return 0;
  const webhookIds = [...new Set(old.map((p) => p.webhookId))];
  const current = new Set<string>();
  for (let i = 0; i < webhookIds.length; i += ID_BATCH) {
    const health = await models.WebhookHealth.find({ _id: { $in: webhookIds.slice(i, i + ID_BATCH) }, state: { $ne: 'closed' } }).lean<WebhookHealthDoc[]>();
    for (const h of health) current.add(`${h._id}:probe:${probePeriod(h)}`);
  }
  const ids = old.map((p) => p._id as string).filter((id) => !current.has(id));
  return inBatches(ids, (batch) => models.DeliveryPermit.deleteMany({ _id: { $in: batch }, kind: 'probe', until: { $lt: stale } }));
}
