/**
 * The pure parts of the delivery rollups: tallies, histogram merging and percentiles, packing, the
 * ids' time keys, which documents count beside their compactions, and the buckets of a series.
 */
import {
  addAttempt, addStatus, emptyTally, hourKey, idTime, keyTime, latencyBucket, latencyPercentile, mergeTally, minuteKey,
  packTallies, unpackTallies, attemptTotal, LATENCY_BUCKETS_MS, packMinutes, unpackMinutes, blockKey, type Tally,
} from '../../src/stats/tally';
import { inWindow, liveRollups, seriesOf, totalsByWebhook, type RollupEntry } from '../../src/stats/rollup-read';
import { deliveryWindow } from '../../src/routes/stats';
import { newId } from '../../src/ids';

function tallyOf(durations: number[], outcome: 'success' | 'timeout' = 'success'): Tally {
  const t = emptyTally();
  for (const d of durations) addAttempt(t, outcome, d);
  return t;
}

test('a duration falls in the smallest bucket whose upper bound holds it; slower than the last is open', () => {
  expect(latencyBucket(0)).toBe('1');
  expect(latencyBucket(1)).toBe('1');
  expect(latencyBucket(1.2)).toBe('2');
  expect(latencyBucket(101)).toBe('150');
  expect(latencyBucket(60_000)).toBe('60000');
  expect(latencyBucket(60_001)).toBe('inf');
  // Log-spaced: each bound at most 2× the one before.
  for (let i = 1; i < LATENCY_BUCKETS_MS.length; i++) expect(LATENCY_BUCKETS_MS[i] / LATENCY_BUCKETS_MS[i - 1]).toBeLessThanOrEqual(2);
});

test('percentiles of a histogram stay within its bucket of the exact value', () => {
  const durations = Array.from({ length: 1000 }, (_, i) => 10 + i); // 10..1009 ms
  const t = tallyOf(durations);
  const p50 = latencyPercentile(t, 0.5)!;
  const p95 = latencyPercentile(t, 0.95)!;
  // Exact: 509.5 and 959.05; the buckets around them are 500–700 and 700–1000.
  expect(p50).toBeGreaterThanOrEqual(500);
  expect(p50).toBeLessThanOrEqual(700);
  expect(p95).toBeGreaterThanOrEqual(700);
  expect(p95).toBeLessThanOrEqual(1000);
  // The highest bucket (1000–1500) ends at the largest duration seen.
  expect(latencyPercentile(t, 1)).toBe(1009);
  expect(latencyPercentile(emptyTally(), 0.5)).toBeNull();
  // One value: every percentile is that value's bucket, capped by it.
  expect(latencyPercentile(tallyOf([42]), 0.5)).toBeLessThanOrEqual(42);
  expect(latencyPercentile(tallyOf([42]), 0.95)).toBeGreaterThanOrEqual(30);
  // Slower than every bound: the open bucket ends at the largest duration.
  expect(latencyPercentile(tallyOf([90_000, 90_000]), 0.95)).toBeLessThanOrEqual(90_000);
  expect(latencyPercentile(tallyOf([90_000, 90_000]), 0.95)).toBeGreaterThan(60_000);
});

test('merging histograms is adding them: percentiles of the merge equal those of all the attempts at once', () => {
  const a = [5, 8, 12, 30, 31, 400];
  const b = [2, 700, 1500, 1501, 20];
  const c = [90, 91, 92];
  const merged = mergeTally(mergeTally(tallyOf(a), tallyOf(b)), tallyOf(c));
  const all = tallyOf([...a, ...b, ...c]);
  expect(merged).toEqual(all);
  for (const q of [0.5, 0.95, 0.99]) expect(latencyPercentile(merged, q)).toBe(latencyPercentile(all, q));
  expect(merged.latencyCount).toBe(14);
  expect(merged.latencyMaxMs).toBe(1501);
  expect(merged.latencySumMs).toBe([...a, ...b, ...c].reduce((x, y) => x + y, 0));
});

test('blocked and configuration failures count as attempts without latency', () => {
  const t = emptyTally();
  addAttempt(t, 'blocked', 0);
  addAttempt(t, 'configuration', 0);
  addAttempt(t, 'http_status', 120);
  expect(attemptTotal(t)).toBe(3);
  expect(t.latencyCount).toBe(1);
  expect(t.attempts).toEqual({ blocked: 1, configuration: 1, http_status: 1 });
});

test('status deltas sum to the current status of the notifications', () => {
  const t = emptyTally();
  addStatus(t, 'pending', 1); // created
  addStatus(t, 'pending', 1);
  addStatus(t, 'pending', -1); // pending → retrying
  addStatus(t, 'retrying', 1);
  addStatus(t, 'retrying', -1); // retrying → sent
  addStatus(t, 'sent', 1);
  expect(t.statuses).toEqual({ pending: 1, retrying: 0, sent: 1 });
});

test('tallies pack into one string and back, zeros left out', () => {
  const t = tallyOf([3, 300]);
  addStatus(t, 'sent', 2);
  addStatus(t, 'pending', 0);
  const packed = packTallies(new Map([['wh_1', t], ['wh_2', emptyTally()]]));
  expect(JSON.parse(packed)).toEqual({ wh_1: { a: { success: 2 }, s: { sent: 2 }, l: { 3: 1, 300: 1 }, n: 2, t: 303, x: 300 } });
  const back = unpackTallies(packed);
  expect([...back.keys()]).toEqual(['wh_1']);
  expect(back.get('wh_1')).toEqual({ ...t, statuses: { sent: 2 } });
});

test('time keys sort as strings by time and name their minute and hour (UTC)', () => {
  const at = Date.UTC(2026, 11, 8, 1, 7, 42);
  expect(minuteKey(at)).toBe('202612080107');
  expect(hourKey(at)).toBe('2026120801');
  expect(keyTime('202612080107')).toBe(Date.UTC(2026, 11, 8, 1, 7));
  expect(keyTime('2026120801')).toBe(Date.UTC(2026, 11, 8, 1));
  expect(minuteKey(at + 3 * 60_000) > minuteKey(at)).toBe(true);
  // An hour's compaction sorts inside the hour's range of minutes: `<hour>|~n` after `<hour>59…`.
  expect(`acc|${hourKey(at)}|~1` > `acc|${minuteKey(at)}|ffff|0`).toBe(true);
  expect(`acc|${hourKey(at)}|~1` < `acc|${minuteKey(at + 3_600_000)}`).toBe(true);
  expect(idTime(newId('ntf', at))).toBe(at);
});

test('a 10-minute block keeps its minutes apart in one string, and sorts after them and before the next block', () => {
  const at = Date.UTC(2026, 11, 8, 1, 30);
  const minutes = new Map([[at + 60_000, new Map([['wh_1', tallyOf([5])]])], [at + 9 * 60_000, new Map([['wh_2', tallyOf([7, 9])]])]]);
  const back = unpackMinutes(packMinutes(minutes));
  expect([...back.keys()]).toEqual([at + 60_000, at + 9 * 60_000]);
  expect(back.get(at + 9 * 60_000)!.get('wh_2')).toEqual(tallyOf([7, 9]));
  expect(blockKey(at + 5 * 60_000)).toBe('20261208013');
  expect(keyTime('20261208013')).toBe(at);
  expect(`acc|${blockKey(at)}|~1` > `acc|${minuteKey(at + 9 * 60_000)}|ffff|9`).toBe(true);
  expect(`acc|${blockKey(at)}|~1` < `acc|${minuteKey(at + 10 * 60_000)}`).toBe(true);
  // A window starting inside the block still reads it: the block sorts after its minutes.
  expect(`acc|${blockKey(at)}|~1` >= `acc|${minuteKey(at + 5 * 60_000)}`).toBe(true);
});

test('documents a compaction covers are not counted while they remain', () => {
  const at = new Date(0);
  const docs = [
    { _id: 'a|1', level: 0, at, covers: null },
    { _id: 'a|2', level: 0, at, covers: null },
    { _id: 'a|3', level: 0, at, covers: null },
    { _id: 'a|m1', level: 1, at, covers: ['a|1', 'a|2'] },
    { _id: 'a|h1', level: 2, at, covers: ['a|m1'] },
  ];
  expect(liveRollups(docs).map((d) => d._id)).toEqual(['a|3', 'a|h1']);
});

test('a window takes minutes from its first minute on, and compacted hours when half of them is in it', () => {
  const h = 3_600_000;
  expect(inWindow({ at: 10 * h, spanMs: 60_000 }, 10 * h + 30_000)).toBe(true);
  expect(inWindow({ at: 10 * h - 60_000, spanMs: 60_000 }, 10 * h + 30_000)).toBe(false);
  expect(inWindow({ at: 10 * h, spanMs: h }, 10 * h + 20 * 60_000)).toBe(true);
  expect(inWindow({ at: 10 * h, spanMs: h }, 10 * h + 40 * 60_000)).toBe(false);
  expect(inWindow({ at: 10 * h, spanMs: 60_000 }, 0, 10 * h)).toBe(false);
});

test('series: one bucket per step, entries summed into the bucket they start in, per webhook or all', () => {
  const now = Date.UTC(2026, 11, 8, 1, 7, 42);
  const w = deliveryWindow('hour', now);
  expect(w).toEqual({ fromMs: Date.UTC(2026, 11, 8, 0, 8), toMs: Date.UTC(2026, 11, 8, 1, 8), stepMs: 60_000 });
  const day = deliveryWindow('day', now);
  expect(day).toEqual({ fromMs: Date.UTC(2026, 11, 7, 2), toMs: Date.UTC(2026, 11, 8, 2), stepMs: 3_600_000 });
  const entry = (at: number, webhookId: string, durations: number[]): RollupEntry => ({ at, spanMs: 60_000, tallies: new Map([[webhookId, tallyOf(durations)]]) });
  const entries = [
    entry(Date.UTC(2026, 11, 8, 1, 7), 'wh_a', [10, 20]),
    entry(Date.UTC(2026, 11, 8, 1, 7), 'wh_b', [100]),
    entry(Date.UTC(2026, 11, 8, 0, 8), 'wh_a', [5]),
    entry(Date.UTC(2026, 11, 8, 0, 7), 'wh_a', [5]), // before the window
  ];
  const all = seriesOf(entries, w);
  expect(all).toHaveLength(60);
  expect(all.map((b) => attemptTotal(b.tally)).filter((n) => n > 0)).toEqual([1, 3]);
  expect(attemptTotal(all[59].tally)).toBe(3);
  const onlyA = seriesOf(entries, { ...w, webhookId: 'wh_a' });
  expect(attemptTotal(onlyA[59].tally)).toBe(2);
  const perDay = seriesOf(entries, day);
  expect(perDay).toHaveLength(24);
  expect(attemptTotal(perDay[22].tally) + attemptTotal(perDay[23].tally)).toBe(5);
  const totals = totalsByWebhook(entries, w.fromMs);
  expect(attemptTotal(totals.get('wh_a')!)).toBe(3);
  expect(attemptTotal(totals.get('wh_b')!)).toBe(1);
});
