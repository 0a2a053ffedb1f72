/**
 * Reading delivery rollups: one `_id` range per account and window (the `_id` index serves it),
 * documents replaced by a compaction still present skipped (their compaction's `covers` names
 * them), and the tallies summed per webhook and per time bucket. Cost: the documents of the window,
 * never the history (a day of an account: about 24 hour documents, a dozen 10-minute blocks, a few
 * minutes and the last minute's flushes, src/stats/compaction.ts).
 */
import type { DeliveryRollupModel } from '../models/delivery-rollup';
import { ROLLUP_LEVELS } from '../models/delivery-rollup';
import { emptyTally, hourKey, HOUR_MS, keyTime, mergeTally, MINUTE_MS, minuteKey, unpackMinutes, unpackTallies, type Tally } from './tally';
import type { RollupRecorder } from './rollups';

export interface RollupEntry {
  /** Start of the minute or hour. */
  at: number;
  spanMs: number;
  tallies: Map<string, Tally>;
}

export interface StoredRollup {
  _id: string;
  level: number;
  at: Date;
  w?: string | null;
  covers?: string[] | null;
}

/**
 * The account's rollup documents from the minute (or hour) of `fromMs` on (locks excluded), as
 * stored. A compaction sorts after the minutes it holds, so the compactions of that minute's block
 * and hour are in the range too (the caller leaves out the minutes before `fromMs`).
 */
export async function readRollupDocs(Model: DeliveryRollupModel, accountId: string, fromMs: number, from: 'minute' | 'hour' = 'minute'): Promise<StoredRollup[]> {
  const key = from === 'minute' ? minuteKey(fromMs) : hourKey(fromMs);
  return Model.find({ _id: { $gte: `${accountId}|${key}`, $lt: `${accountId}|~` } }, { level: 1, at: 1, w: 1, covers: 1 }).lean<StoredRollup[]>();
}

/** A document's tallies by minute (an hour's are all at its start). */
export function tallyMinutes(d: StoredRollup): Array<{ at: number; spanMs: number; tallies: Map<string, Tally> }> {
  if (d.level === ROLLUP_LEVELS.block) return [...unpackMinutes(d.w)].map(([at, tallies]) => ({ at, spanMs: MINUTE_MS, tallies }));
  return [{ at: d.at.getTime(), spanMs: d.level === ROLLUP_LEVELS.hour ? HOUR_MS : MINUTE_MS, tallies: unpackTallies(d.w) }];
}

/** The documents that count: those no present compaction covers. */
export function liveRollups<T extends StoredRollup>(docs: T[]): T[] {
  const covered = new Set<string>();
  for (const d of docs) for (const id of d.covers ?? []) covered.add(id);
  return docs.filter((d) => d.level !== ROLLUP_LEVELS.lock && !covered.has(d._id));
}

/**
 * The account's rollups from `fromMs` (at the hour's start: finer cuts are the caller's), stored and
 * this process's unflushed counts. A flush under way is awaited first, so counts are never seen twice.
 */
export async function readRollups(Model: DeliveryRollupModel, recorder: RollupRecorder | undefined, accountId: string, fromMs: number): Promise<RollupEntry[]> {
  await recorder?.settled();
  const docs = await readRollupDocs(Model, accountId, fromMs);
  const entries: RollupEntry[] = liveRollups(docs).flatMap(tallyMinutes);
  for (const [minute, tallies] of recorder?.unflushed(accountId) ?? []) {
    const at = keyTime(minute);
    if (at >= fromMs - HOUR_MS) entries.push({ at, spanMs: MINUTE_MS, tallies: cloneTallies(tallies) });
  }
  return entries;
}

function cloneTallies(t: Map<string, Tally>): Map<string, Tally> {
  return new Map([...t].map(([k, v]) => [k, mergeTally(emptyTally(), v)]));
}

/**
 * Whether an entry counts in a window starting at `sinceMs`: a minute from the minute of `sinceMs`
 * on; an hour (compacted, two hours old or more) when at least half of it is in the window.
 */
export function inWindow(e: Pick<RollupEntry, 'at' | 'spanMs'>, sinceMs: number, untilMs = Infinity): boolean {
  if (e.at >= untilMs) return false;
  if (e.spanMs === MINUTE_MS) return e.at >= Math.floor(sinceMs / MINUTE_MS) * MINUTE_MS;
  return e.at + e.spanMs / 2 >= sinceMs;
}

/** Per webhook, everything in the window summed. */
export function totalsByWebhook(entries: RollupEntry[], sinceMs: number, untilMs = Infinity): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const e of entries) {
    if (!inWindow(e, sinceMs, untilMs)) continue;
    for (const [webhookId, t] of e.tallies) {
      const into = out.get(webhookId) ?? emptyTally();
      out.set(webhookId, mergeTally(into, t));
    }
  }
  return out;
}

/**
 * Buckets of `stepMs` from `fromMs` (aligned) up to `toMs`, each the sum of the entries that start
 * in it, of one webhook or (webhookId undefined) all of them.
 */
export function seriesOf(entries: RollupEntry[], o: { fromMs: number; toMs: number; stepMs: number; webhookId?: string }): Array<{ at: number; tally: Tally }> {
  const buckets: Array<{ at: number; tally: Tally }> = [];
  for (let at = o.fromMs; at < o.toMs; at += o.stepMs) buckets.push({ at, tally: emptyTally() });
  for (const e of entries) {
    if (e.at < o.fromMs || e.at >= o.toMs) continue;
    const bucket = buckets[Math.floor((e.at - o.fromMs) / o.stepMs)];
    for (const [webhookId, t] of e.tallies) if (o.webhookId === undefined || webhookId === o.webhookId) mergeTally(bucket.tally, t);
  }
  return buckets;
}
