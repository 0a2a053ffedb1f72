/**
 * Per-webhook rate limit and concurrency, held across every worker process: the permits are
 * documents in MongoDB (delivery_permits), and a permit is taken by *inserting* its document. An
 * insert is atomic on every MongoDB-compatible server through the unique `_id` (a second taker gets
 * a duplicate-key error); a conditional update is not on the embedded FerretDB 1.x, which let two
 * workers take the same slot when this used findOneAndUpdate. The insert, and the takeover of an
 * expired permit, are in permits.ts.
 *
 * - Rate: the window's permits are `<webhookId>:r:<window>:<k>` for k below the limit. A taker
 *   counts the window's permits and inserts the next k; on a collision it tries the next one. When
 *   k reaches the limit the window is full: wait for the next one.
 * - Concurrency: the slots are `<webhookId>:c:<k>` for k below maxConcurrency, inserted by the
 *   attempt that holds one and deleted when it ends. A worker killed mid-attempt deletes nothing:
 *   its lease (`until`) expires and the next taker removes it.
 */
import type { Models } from '../models';
import { insertPermit, insertPermitOrTakeOver } from './permits';

export interface RateLimit {
  perSecond?: number | null;
  perMinute?: number | null;
}

export type Permit = { ok: true; release: () => Promise<void> } | { ok: false; retryAt: Date };

const noRelease = async () => {};

/**
 * Every rate window's length. A rate permit stores only its window's index `n` (time / length), so
 * the purge (src/flow-control/housekeeping.ts) tells which windows have ended from this list: a
 * new kind of window must be added here.
 */
export const RATE_WINDOW_MS = Object.freeze({ perSecond: 1000, perMinute: 60_000 });

export function rateWindow(limit: RateLimit): { windowMs: number; max: number } | null {
  if (limit.perSecond) return { windowMs: RATE_WINDOW_MS.perSecond, max: limit.perSecond };
  if (limit.perMinute) return { windowMs: RATE_WINDOW_MS.perMinute, max: limit.perMinute };
  return null;
}

export async function takeRatePermit(models: Pick<Models, 'DeliveryPermit'>, webhookId: string, limit: RateLimit, now: Date): Promise<Permit> {
  const window = rateWindow(limit);
  if (!window) return { ok: true, release: noRelease };
  const { DeliveryPermit } = models;
  const n = Math.floor(now.getTime() / window.windowMs);
  let k = await DeliveryPermit.countDocuments({ webhookId, kind: 'rate', n });
  for (; k < window.max; k++) {
    if (!(await insertPermit(DeliveryPermit, { _id: `${webhookId}:r:${n}:${k}`, webhookId, kind: 'rate', n, count: k }))) continue;
    // The window's first permit clears the webhook's old windows (they only counted).
    if (k === 0) await DeliveryPermit.deleteMany({ webhookId, kind: 'rate', n: { $lt: n - 1 } });
    return { ok: true, release: noRelease };
  }
  return { ok: false, retryAt: new Date((n + 1) * window.windowMs) };
}

export async function takeLease(
  models: Pick<Models, 'DeliveryPermit'>,
  webhookId: string,
  maxConcurrency: number,
  opts: { holder: string; leaseMs: number; now: Date },
): Promise<Permit> {
  const { DeliveryPermit } = models;
  const held = await DeliveryPermit.find({ webhookId, kind: 'lease', n: { $lt: maxConcurrency } }, { n: 1, until: 1 }).lean();
  const taken = new Map(held.map((l) => [l.n, l]));
  for (let k = 0; k < maxConcurrency; k++) {
    const current = taken.get(k);
    // A slot in use, unless its lease expired (its holder died): then it is taken over.
    if (current && !(current.until && current.until <= opts.now)) continue;
    const _id = `${webhookId}:c:${k}`;
    const lease = { _id, webhookId, kind: 'lease' as const, n: k, holder: opts.holder, until: new Date(opts.now.getTime() + opts.leaseMs) };
    if (!(await insertPermitOrTakeOver(DeliveryPermit, lease, opts.now))) continue;
    return { ok: true, release: async () => void (await DeliveryPermit.deleteOne({ _id, holder: opts.holder })) };
  }
  // Every slot is busy: most attempts take milliseconds, so look again soon.
  return { ok: false, retryAt: new Date(opts.now.getTime() + 250) };
}
