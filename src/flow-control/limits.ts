/**
 * Per-webhook rate limit and concurrency, held across every worker process: the counters are
 * documents in MongoDB (delivery_permits), taken and released with single-document updates.
 *
 * - Rate: fixed windows (one second or one minute). An attempt takes a permit with one upsert that
 *   matches only while the window's count is below the limit; a full window makes the upsert
 *   collide with the existing document (duplicate key), which means "wait for the next window".
 * - Concurrency: `maxConcurrency` slot documents; an attempt leases a free (or expired) slot for at
 *   most its timeout, and frees it when it ends. A worker killed mid-attempt frees nothing: its
 *   lease expires.
 */
import type { Models } from '../models';

export interface RateLimit {
  perSecond?: number | null;
  perMinute?: number | null;
}

export type Permit = { ok: true; release: () => Promise<void> } | { ok: false; retryAt: Date };

const DUPLICATE_KEY = 11000;

export function rateWindow(limit: RateLimit): { windowMs: number; max: number } | null {
  if (limit.perSecond) return { windowMs: 1000, max: limit.perSecond };
  if (limit.perMinute) return { windowMs: 60_000, max: limit.perMinute };
  return null;
}

export async function takeRatePermit(models: Pick<Models, 'DeliveryPermit'>, webhookId: string, limit: RateLimit, now: Date): Promise<Permit> {
  const window = rateWindow(limit);
  if (!window) return { ok: true, release: async () => {} };
  const n = Math.floor(now.getTime() / window.windowMs);
  const _id = `${webhookId}:r:${n}`;
  try {
    const taken = await models.DeliveryPermit.findOneAndUpdate(
      { _id, count: { $lt: window.max } },
      { $inc: { count: 1 }, $setOnInsert: { webhookId, kind: 'rate', n } },
      { upsert: true, new: true },
    ).lean();
    // The window's first permit clears the webhook's old windows (they are only counters).
    if (taken?.count === 1) await models.DeliveryPermit.deleteMany({ webhookId, kind: 'rate', n: { $lt: n - 1 } });
    return { ok: true, release: async () => {} };
  } catch (err) {
    if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
    return { ok: false, retryAt: new Date((n + 1) * window.windowMs) };
  }
}

export async function takeLease(
  models: Pick<Models, 'DeliveryPermit'>,
  webhookId: string,
  maxConcurrency: number,
  opts: { holder: string; leaseMs: number; now: Date },
): Promise<Permit> {
  const { DeliveryPermit } = models;
  const claim = () =>
    DeliveryPermit.findOneAndUpdate(
      { webhookId, kind: 'lease', n: { $lt: maxConcurrency }, $or: [{ holder: null }, { until: { $lte: opts.now } }] },
      { $set: { holder: opts.holder, until: new Date(opts.now.getTime() + opts.leaseMs) } },
      { new: true },
    ).lean();
  let slot = await claim();
  if (!slot) {
    // The slots are created on first use (and when maxConcurrency grows).
    const existing = await DeliveryPermit.countDocuments({ webhookId, kind: 'lease', n: { $lt: maxConcurrency } });
    if (existing < maxConcurrency) {
      const slots = Array.from({ length: maxConcurrency }, (_, n) => ({ _id: `${webhookId}:c:${n}`, webhookId, kind: 'lease', n, holder: null, until: null }));
      await DeliveryPermit.insertMany(slots, { ordered: false }).catch((err: { code?: number; writeErrors?: unknown[] }) => {
        if (err.code !== DUPLICATE_KEY && !err.writeErrors) throw err;
      });
      slot = await claim();
    }
  }
  if (!slot) {
    // Try again after the earliest lease could end, but at least soon: most attempts take milliseconds.
    return { ok: false, retryAt: new Date(opts.now.getTime() + 250) };
  }
  const id = slot._id;
  return {
    ok: true,
    release: async () => {
      await DeliveryPermit.updateOne({ _id: id, holder: opts.holder }, { $set: { holder: null, until: null } });
    },
  };
}
