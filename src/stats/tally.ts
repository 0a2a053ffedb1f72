/**
 * The counts a delivery rollup holds for one webhook, and the pure arithmetic on them: adding an
 * attempt or a status change, merging tallies (sums, so any number of writers and flushes add up),
 * latency percentiles from a fixed-bucket histogram, and the minute/hour keys of rollup ids.
 *
 * Latency is a histogram with fixed, log-spaced upper bounds in ms (1-1.5-2-3-5-7 per decade), so
 * histograms of any writers, minutes and webhooks merge by adding bucket counts, and p50/p95 are
 * read from the merged one (interpolated within a bucket: within ~±25 % of the true value).
 */
import { ATTEMPT_ERROR_KINDS, NOTIFICATION_STATUSES, type AttemptErrorKind, type NotificationStatus } from '../models/notification';

export const OUTCOMES = ['success', ...ATTEMPT_ERROR_KINDS] as const;
export type Outcome = 'success' | AttemptErrorKind;

/** Upper bounds (ms, inclusive) of the latency buckets; a last, open bucket holds what is slower. */
export const LATENCY_BUCKETS_MS = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700,
  1000, 1500, 2000, 3000, 5000, 7000, 10_000, 15_000, 20_000, 30_000, 60_000,
] as const;

export interface Tally {
  /** Attempts by outcome, counted in the minute the attempt finished. */
  attempts: Partial<Record<Outcome, number>>;
  /**
   * Notifications by status, as deltas counted in the minute the notification was created (its id's
   * time): +1 for the status it was created with, then -1 old / +1 new for each change. Summed over a
   * window they are the window's notifications by their current status.
   */
  statuses: Partial<Record<NotificationStatus, number>>;
  /** Latency histogram: count per bucket, keyed by the bucket's upper bound in ms ('inf': slower). */
  latency: Record<string, number>;
  /** Attempts measured in `latency`, their total and their largest duration (ms). */
  latencyCount: number;
  latencySumMs: number;
  latencyMaxMs: number;
}

export function emptyTally(): Tally {
  return { attempts: {}, statuses: {}, latency: {}, latencyCount: 0, latencySumMs: 0, latencyMaxMs: 0 };
}

/** The bucket key of a duration: the smallest upper bound it fits under. */
export function latencyBucket(ms: number): string {
  for (const upper of LATENCY_BUCKETS_MS) if (ms <= upper) return String(upper);
  return 'inf';
}

/**
 * Outcomes whose duration is a receiver's response time. A blocked destination or a request that
 * could not be built sent nothing: counted as attempts, not as latency.
 */
export function measuresLatency(outcome: Outcome): boolean {
  return outcome !== 'blocked' && outcome !== 'configuration';
}

export function addAttempt(t: Tally, outcome: Outcome, durationMs: number): void {
  t.attempts[outcome] = (t.attempts[outcome] ?? 0) + 1;
  if (!measuresLatency(outcome)) return;
  const ms = Math.max(0, Math.round(durationMs));
  const key = latencyBucket(ms);
  t.latency[key] = (t.latency[key] ?? 0) + 1;
  t.latencyCount++;
  t.latencySumMs += ms;
  t.latencyMaxMs = Math.max(t.latencyMaxMs, ms);
}

export function addStatus(t: Tally, status: NotificationStatus, delta: number): void {
  t.statuses[status] = (t.statuses[status] ?? 0) + delta;
}

/** Adds `from` into `into` (returns `into`). */
export function mergeTally(into: Tally, from: Tally): Tally {
  for (const [k, n] of Object.entries(from.attempts)) into.attempts[k as Outcome] = (into.attempts[k as Outcome] ?? 0) + (n ?? 0);
  for (const [k, n] of Object.entries(from.statuses)) into.statuses[k as NotificationStatus] = (into.statuses[k as NotificationStatus] ?? 0) + (n ?? 0);
  for (const [k, n] of Object.entries(from.latency)) into.latency[k] = (into.latency[k] ?? 0) + n;
  into.latencyCount += from.latencyCount;
  into.latencySumMs += from.latencySumMs;
  into.latencyMaxMs = Math.max(into.latencyMaxMs, from.latencyMaxMs);
  return into;
}

export function attemptTotal(t: Tally): number {
  return OUTCOMES.reduce((sum, o) => sum + (t.attempts[o] ?? 0), 0);
}

/**
 * The q-quantile (0 < q ≤ 1) of a merged histogram, in ms, or null without measurements:
 * linear within the bucket that holds the rank, the open bucket capped by the largest duration.
 */
export function latencyPercentile(t: Pick<Tally, 'latency' | 'latencyCount' | 'latencyMaxMs'>, q: number): number | null {
  if (t.latencyCount <= 0) return null;
  const rank = q * t.latencyCount;
  let below = 0;
  let lower = 0;
  const bounds = [...LATENCY_BUCKETS_MS, Infinity];
  for (const upper of bounds) {
    const n = t.latency[upper === Infinity ? 'inf' : String(upper)] ?? 0;
    if (n > 0 && below + n >= rank) {
      const top = Math.min(upper, Math.max(t.latencyMaxMs, lower));
      const value = lower + ((rank - below) / n) * (top - lower);
      return Math.round(Math.min(value, t.latencyMaxMs));
    }
    below += n;
    lower = upper;
  }
  return t.latencyMaxMs;
}

/**
 * A tally as stored: JSON in one string field. The embedded store decodes every field of every
 * document it reads (measured on FerretDB 1.24: 60 documents of 50 webhooks as nested fields took
 * 470 ms to read, as one string each 35 ms), so the counts travel as one value and Node parses them.
 */
export type PackedTallies = string;

/** Zero entries are left out, so a packed tally holds only what happened. */
export function packTallies(byWebhook: Map<string, Tally>): PackedTallies {
  return JSON.stringify(tallyObject(byWebhook));
}

type TallyObject = Record<string, { a?: Tally['attempts']; s?: Tally['statuses']; l?: Tally['latency']; n?: number; t?: number; x?: number }>;

function tallyObject(byWebhook: Map<string, Tally>): TallyObject {
  const out: TallyObject = {};
  for (const [webhookId, t] of byWebhook) {
    const p: Record<string, unknown> = {};
    const a = nonZero(t.attempts);
    const s = nonZero(t.statuses);
    if (a) p.a = a;
    if (s) p.s = s;
    if (t.latencyCount > 0) Object.assign(p, { l: nonZero(t.latency), n: t.latencyCount, t: t.latencySumMs, x: t.latencyMaxMs });
    if (Object.keys(p).length) out[webhookId] = p;
  }
  return out;
}

export function unpackTallies(packed: PackedTallies | null | undefined): Map<string, Tally> {
  return packed ? fromTallyObject(JSON.parse(packed) as TallyObject) : new Map();
}

function fromTallyObject(parsed: TallyObject): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const [webhookId, p] of Object.entries(parsed)) {
    out.set(webhookId, { attempts: p.a ?? {}, statuses: p.s ?? {}, latency: p.l ?? {}, latencyCount: p.n ?? 0, latencySumMs: p.t ?? 0, latencyMaxMs: p.x ?? 0 });
  }
  return out;
}

/** Several minutes' tallies in one string (a 10-minute block keeps its minutes apart): minuteKey → webhook → tally. */
export function packMinutes(byMinute: Map<number, Map<string, Tally>>): PackedTallies {
  return JSON.stringify(Object.fromEntries([...byMinute].map(([at, tallies]) => [minuteKey(at), tallyObject(tallies)])));
}

export function unpackMinutes(packed: PackedTallies | null | undefined): Map<number, Map<string, Tally>> {
  const parsed = packed ? (JSON.parse(packed) as Record<string, TallyObject>) : {};
  return new Map(Object.entries(parsed).map(([key, o]) => [keyTime(key), fromTallyObject(o)]));
}

function nonZero<T extends Record<string, number | undefined>>(o: T): T | undefined {
  const kept = Object.entries(o).filter(([, n]) => n !== undefined && n !== 0);
  return kept.length ? (Object.fromEntries(kept) as T) : undefined;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** A block of 10 minutes: closed blocks of the last two hours are one document each, their minutes kept apart. */
export const BLOCK_MS = 600_000;

export function floorTo(ms: number, unit: number): number {
  return Math.floor(ms / unit) * unit;
}

/** `yyyymmddHHMM` (UTC) of a minute, `yyyymmddHH` of an hour: ids sort by time as strings. */
export function minuteKey(ms: number): string {
  return new Date(floorTo(ms, MINUTE_MS)).toISOString().replace(/[-T:]/g, '').slice(0, 12);
}

export function hourKey(ms: number): string {
  return minuteKey(ms).slice(0, 10);
}

/** `yyyymmddHHM` (UTC): the 10-minute block. */
export function blockKey(ms: number): string {
  return minuteKey(ms).slice(0, 11);
}

/** The time a minute, block or hour key names (UTC). */
export function keyTime(key: string): number {
  const [y, mo, d, h, mi] = [key.slice(0, 4), key.slice(4, 6), key.slice(6, 8), key.slice(8, 10), key.slice(10, 12).padEnd(2, '0')];
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
}

/** The time encoded in a Herald id (`ntf_<base36 ms>…`, src/ids.ts), or null. */
export function idTime(id: string): number | null {
  const underscore = id.indexOf('_');
  const ms = parseInt(id.slice(underscore + 1, underscore + 10), 36);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

export { NOTIFICATION_STATUSES };
