/**
 * Which rate windows the purge may delete (endedRateWindows): a permit stores only its window's
 * index, so the length is told by what is possible; only windows certainly over for more than the
 * grace go. The filter is evaluated here as MongoDB would on `n` (an $or of ranges).
 */
import { endedRateWindows, RATE_GRACE_MS } from '../../src/flow-control/housekeeping';

type Range = { $gt?: number; $lte: number };

function matches(filter: Record<string, unknown>, n: number): boolean {
  return (filter.$or as Array<{ n: Range }>).some(({ n: r }) => (r.$gt === undefined || n > r.$gt) && n <= r.$lte);
}

const now = new Date('2026-12-01T01:30:20.500Z');
const t = now.getTime();
const perSecond = (ms: number) => Math.floor(ms / 1000);
const perMinute = (ms: number) => Math.floor(ms / 60_000);
const filter = endedRateWindows(now);

test('a per-second window goes once it ended more than the grace ago, not before', () => {
  expect(RATE_GRACE_MS).toBe(60_000);
  // The window [t-62 s, t-61 s) ended 61 s ago; the one ending 59.5 s ago stays, as do the current and a future one.
  expect(matches(filter, perSecond(t - 61_500))).toBe(true);
  expect(matches(filter, perSecond(t - 3600_000))).toBe(true);
  expect(matches(filter, perSecond(t - 60_000))).toBe(false);
  expect(matches(filter, perSecond(t))).toBe(false);
  expect(matches(filter, perSecond(t + 30_000))).toBe(false);
});

test('a per-minute window is judged as a minute, never as a second (its index would have ended in 1970)', () => {
  // Now is 01:30:20.5: the 01:29 window ended 20.5 s ago (stays), the 01:28 one 80.5 s ago (goes).
  expect(matches(filter, perMinute(t))).toBe(false);
  expect(matches(filter, perMinute(t - 60_000))).toBe(false);
  expect(matches(filter, perMinute(t - 120_000))).toBe(true);
  expect(matches(filter, perMinute(t - 86400_000))).toBe(true);
});

test('an index possible under no window length (a start in the future) is kept', () => {
  expect(matches(filter, perSecond(t) * 1000)).toBe(false);
});

test('a longer window length added to the list keeps its windows until they end', () => {
  const withHours = endedRateWindows(now, RATE_GRACE_MS, [1000, 60_000, 3600_000]);
  const hour = (ms: number) => Math.floor(ms / 3600_000);
  // 01:00–02:00 is running: as a per-minute index it would have ended at 00:02 (1970), but an hour is possible, so it stays.
  expect(matches(withHours, hour(t))).toBe(false);
  expect(matches(withHours, hour(t - 2 * 3600_000))).toBe(true);
  expect(matches(withHours, perMinute(t - 120_000))).toBe(true);
  expect(matches(withHours, perSecond(t - 61_500))).toBe(true);
});
