/**
 * Compaction of an account's delivery rollups, so a window reads few documents whatever the
 * traffic: every writer flushes every few seconds, so a busy minute has dozens of documents. Minutes
 * become one document per minute (level 1), closed 10-minute blocks one per block with its
 * minutes kept apart inside (level 3), and hours that ended an hour ago or more one per hour (level
 * 2): a day is then about 22 hour documents, a dozen blocks, a few minutes and the flushes of the
 * last minute (the embedded store's cost is per document: measured in scripts/bench-stats.ts), and
 * the last hour keeps its per-minute resolution for the charts.
 *
 * One compaction of an account at a time: each run first inserts `<account>|~lock|<minute><a|b>`
 * (the one write the embedded store makes atomic, as src/flow-control/permits.ts does); whoever
 * inserts it compacts the account for that half minute, the others skip. A compacted document's `_id` is
 * `<account>|<minute or hour>|~<n>`, n one more than any before it, so even two overlapping runs
 * cannot both write one.
 *
 * Never a count lost or counted twice, even when a run stops half way: a compacted document is
 * inserted *before* the documents it replaces are deleted, and it names them in `covers`; readers
 * skip covered documents while they exist (src/stats/rollup-read.ts), and the next run deletes them
 * (lowest level first, so a document is deleted only once nothing it covers is left).
 * Late counts (a status change of a notification created hours ago counts in its creation minute)
 * land as new flushes in an older period and are merged by the next run into a new `~<n+1>`.
 */
import type { DeliveryRollupDoc, DeliveryRollupModel } from '../models/delivery-rollup';
import { ROLLUP_LEVELS } from '../models/delivery-rollup';
import { acrossAccounts } from '../accounts/scope';
import { isDuplicateKey } from '../db';
import { BLOCK_MS, blockKey, emptyTally, floorTo, hourKey, HOUR_MS, mergeTally, MINUTE_MS, minuteKey, packMinutes, packTallies, type Tally } from './tally';
import { readRollupDocs, liveRollups, tallyMinutes, type StoredRollup } from './rollup-read';

/** How far back a run looks (late counts older than that stay as they are, still counted right). */
export const COMPACT_LOOKBACK_MS = 26 * HOUR_MS;
/** A block is closed this long after it ended (flushes of every writer have arrived). */
export const BLOCK_GRACE_MS = 15_000;
/** An hour is compacted once it ended this long ago: the last hour stays per minute. */
export const HOUR_DELAY_MS = HOUR_MS;

export interface CompactionResult {
  skipped: boolean;
  minutes: number;
  blocks: number;
  hours: number;
  deleted: number;
}

export async function compactAccount(Model: DeliveryRollupModel, accountId: string, now = new Date()): Promise<CompactionResult> {
  return acrossAccounts(() => compact(Model, accountId, now.getTime()));
}

async function compact(Model: DeliveryRollupModel, accountId: string, now: number): Promise<CompactionResult> {
  const result: CompactionResult = { skipped: false, minutes: 0, blocks: 0, hours: 0, deleted: 0 };
  const lockPrefix = `${accountId}|~lock|`;
  try {
    await Model.create({ _id: `${lockPrefix}${lockSlot(now)}`, accountId, level: ROLLUP_LEVELS.lock, at: new Date(now) });
  } catch (err) {
    if (isDuplicateKey(err)) return { ...result, skipped: true };
    throw err;
  }
  await Model.deleteMany({ _id: { $gte: lockPrefix, $lt: `${lockPrefix}${minuteKey(now - 10 * MINUTE_MS)}` } });

  const docs = await readRollupDocs(Model, accountId, now - COMPACT_LOOKBACK_MS, 'hour');
  const live = liveRollups(docs);
  const liveIds = new Set(live.map((d) => d._id));
  // Left by a run that stopped before its deletes: covered, so not counted; delete them now.
  result.deleted += await deleteByLevel(Model, docs.filter((d) => !liveIds.has(d._id) && d.level !== ROLLUP_LEVELS.lock));

  const nextN = new Map<string, number>(); // period key → next ~n
  for (const d of docs) {
    const m = /\|(\d{10,12})\|~(\d+)$/.exec(d._id);
    if (m) nextN.set(m[1], Math.max(nextN.get(m[1]) ?? 1, Number(m[2]) + 1));
  }

  const byHour = new Map<number, StoredRollup[]>();
  for (const d of live) {
    const hour = floorTo(d.at.getTime(), HOUR_MS);
    byHour.set(hour, [...(byHour.get(hour) ?? []), d]);
  }
  const merged: Array<{ doc: DeliveryRollupDoc; sources: StoredRollup[] }> = [];
  const mergeInto = (key: string, level: number, at: number, sources: StoredRollup[]) => {
    const n = nextN.get(key) ?? 1;
    nextN.set(key, n + 1);
    // Summed per minute (a block keeps them apart) or all at once (a minute, an hour).
    const byMinute = new Map<number, Map<string, Tally>>();
    for (const s of sources) {
      for (const e of tallyMinutes(s)) {
        const slot = level === ROLLUP_LEVELS.block ? e.at : at;
        const sum = byMinute.get(slot) ?? new Map<string, Tally>();
        byMinute.set(slot, sum);
        for (const [webhookId, t] of e.tallies) sum.set(webhookId, mergeTally(sum.get(webhookId) ?? emptyTally(), t));
      }
    }
    const w = level === ROLLUP_LEVELS.block ? packMinutes(byMinute) : packTallies(byMinute.get(at) ?? new Map());
    const doc = { _id: `${accountId}|${key}|~${n}`, accountId, level, at: new Date(at), w, covers: sources.map((s) => s._id) } as DeliveryRollupDoc;
    merged.push({ doc, sources });
  };
  for (const [hour, inHour] of byHour) {
    if (hour + HOUR_MS + HOUR_DELAY_MS <= now) {
      if (inHour.length > 1 || inHour[0].level !== ROLLUP_LEVELS.hour) {
        mergeInto(hourKey(hour), ROLLUP_LEVELS.hour, hour, inHour);
        result.hours++;
      }
      continue;
    }
    const byBlock = new Map<number, StoredRollup[]>();
    for (const d of inHour) {
      const block = floorTo(d.at.getTime(), BLOCK_MS);
      byBlock.set(block, [...(byBlock.get(block) ?? []), d]);
    }
    for (const [block, inBlock] of byBlock) {
      if (block + BLOCK_MS + BLOCK_GRACE_MS <= now) {
        if (inBlock.length > 1 || inBlock[0].level !== ROLLUP_LEVELS.block) {
          mergeInto(blockKey(block), ROLLUP_LEVELS.block, block, inBlock);
          result.blocks++;
        }
        continue;
      }
      const byMinute = new Map<number, StoredRollup[]>();
      for (const d of inBlock) byMinute.set(d.at.getTime(), [...(byMinute.get(d.at.getTime()) ?? []), d]);
      for (const [minute, inMinute] of byMinute) {
        // Open minutes too: a flush that comes later is merged by a later run (into ~n+1).
        if (inMinute.length < 2) continue;
        mergeInto(minuteKey(minute), ROLLUP_LEVELS.minute, minute, inMinute);
        result.minutes++;
      }
    }
  }
  if (!merged.length) return result;

  let inserted = merged;
  try {
    await Model.insertMany(merged.map((m) => m.doc), { ordered: false });
  } catch (err) {
    // A duplicate `~n`: another run wrote that one first; its sources are its business.
    const writeErrors = (err as { writeErrors?: Array<{ index?: number; code?: number; err?: { index?: number; code?: number } }> }).writeErrors;
    if (!Array.isArray(writeErrors) || !writeErrors.every((e) => isDuplicateKey(e) || isDuplicateKey(e.err))) throw err;
    const failed = new Set(writeErrors.map((e) => e.index ?? e.err?.index));
    inserted = merged.filter((_, i) => !failed.has(i));
  }
  result.deleted += await deleteByLevel(Model, inserted.flatMap((m) => m.sources));
  return result;
}

/** The half minute a run is for: one run per account in each. */
function lockSlot(now: number): string {
  return `${minuteKey(now)}${new Date(now).getUTCSeconds() < 30 ? 'a' : 'b'}`;
}

/** Deletes lowest level first: a compaction is never deleted while something it covers is left. */
async function deleteByLevel(Model: DeliveryRollupModel, docs: StoredRollup[]): Promise<number> {
  let deleted = 0;
  for (const level of [ROLLUP_LEVELS.flush, ROLLUP_LEVELS.minute, ROLLUP_LEVELS.block, ROLLUP_LEVELS.hour]) {
    const ids = docs.filter((d) => d.level === level).map((d) => d._id);
    for (let i = 0; i < ids.length; i += 500) deleted += (await Model.deleteMany({ _id: { $in: ids.slice(i, i + 500) } })).deletedCount;
  }
  return deleted;
}
