/**
 * Stats from the delivery rollups (src/stats/), never from the history: a window costs the rollup
 * documents of the window (an account's day: about 150 small documents), whatever the number of
 * notifications stored.
 *
 * - `GET /v1/stats/webhooks`: per webhook, over a window (default the last 24 hours): notifications
 *   created in it by their current status, the success rate of finished ones, and attempt latency.
 * - `GET /v1/stats/deliveries`: the account's or one webhook's deliveries per minute (window=hour)
 *   or per hour (window=day) by outcome, with latency p50 and p95: what the console charts draw.
 *
 * Precision: a window starts at its minute; hours compacted (two hours old or more) count whole when
 * half of them is in it. Counts written by other processes arrive with their next flush (5 s);
 * this process's own are added from memory.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { parseQuery } from '../http/validate';
import { notFound } from '../errors';
import { NOTIFICATION_STATUSES } from '../models/notification';
import { currentAccountId } from '../accounts/scope';
import { existingRollups } from '../stats/rollups';
import { readRollups, seriesOf, totalsByWebhook } from '../stats/rollup-read';
import { attemptTotal, floorTo, HOUR_MS, latencyPercentile, MINUTE_MS, OUTCOMES, type Tally } from '../stats/tally';

const DAY_MS = 24 * HOUR_MS;

export const webhookStatsQuery = z
  .object({
    since: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s)).optional(),
  })
  .strict();

export const deliveryStatsQuery = z
  .object({
    window: z.enum(['hour', 'day']).default('hour').meta({ description: 'hour: the last 60 minutes, per minute; day: the last 24 hours, per hour' }),
    webhookId: z.string().min(1).max(100).optional().meta({ description: 'one webhook (default: the whole account)' }),
  })
  .strict();

/** The window's buckets: [from, to) in steps. */
export function deliveryWindow(window: 'hour' | 'day', now: number): { fromMs: number; toMs: number; stepMs: number } {
  if (window === 'hour') {
    const to = floorTo(now, MINUTE_MS) + MINUTE_MS;
    return { fromMs: to - 60 * MINUTE_MS, toMs: to, stepMs: MINUTE_MS };
  }
  const to = floorTo(now, HOUR_MS) + HOUR_MS;
  return { fromMs: to - DAY_MS, toMs: to, stepMs: HOUR_MS };
}

export function deliveryPoint(t: Tally) {
  return {
    attempts: attemptTotal(t),
    outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, t.attempts[o] ?? 0])) as Record<(typeof OUTCOMES)[number], number>,
    p50Ms: latencyPercentile(t, 0.5),
    p95Ms: latencyPercentile(t, 0.95),
  };
}

export function statsRouter(deps: AppDeps): Router {
  const router = Router();
  const { Webhook, DeliveryRollup } = deps.models;

  router.get('/webhooks', async (req, res) => {
    const q = parseQuery(webhookStatsQuery, req.query);
    const since = q.since ?? new Date(Date.now() - DAY_MS);
    const entries = await readRollups(DeliveryRollup, existingRollups(deps.models), currentAccountId(), since.getTime());
    const totals = totalsByWebhook(entries, since.getTime());
    const webhooks = await Webhook.find({ _id: { $in: [...totals.keys()] } }, { name: 1, deletedAt: 1 }).lean();
    const names = new Map(webhooks.map((w) => [w._id as string, { name: w.name, deleted: Boolean(w.deletedAt) }]));
    const data = [...totals.entries()].map(([webhookId, t]) => {
      // Deltas from several writers can be briefly out of step (a change flushed before the creation): never below 0.
      const counts = Object.fromEntries(NOTIFICATION_STATUSES.map((s) => [s, Math.max(0, t.statuses[s] ?? 0)])) as Record<(typeof NOTIFICATION_STATUSES)[number], number>;
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      const finished = counts.sent + counts.failed;
      return {
        webhookId,
        webhookName: names.get(webhookId)?.name ?? null,
        deleted: names.get(webhookId)?.deleted ?? true,
        notifications: { total, ...counts },
        // Of the notifications that reached an end state; in-flight ones are not counted either way.
        successRate: finished ? counts.sent / finished : null,
        attempts: attemptTotal(t),
        avgLatencyMs: t.latencyCount ? Math.round(t.latencySumMs / t.latencyCount) : null,
        maxLatencyMs: t.latencyCount ? t.latencyMaxMs : null,
      };
    });
    data.sort((a, b) => b.notifications.total - a.notifications.total || b.attempts - a.attempts);
    res.json({ since, data });
  });

  router.get('/deliveries', async (req, res) => {
    const q = parseQuery(deliveryStatsQuery, req.query);
    // Another account's webhook answers like an unknown one.
    if (q.webhookId && !(await Webhook.exists({ _id: q.webhookId }))) throw notFound('Webhook');
    const w = deliveryWindow(q.window, Date.now());
    const entries = await readRollups(DeliveryRollup, existingRollups(deps.models), currentAccountId(), w.fromMs);
    const series = seriesOf(entries, { ...w, webhookId: q.webhookId });
    const total = seriesOf(entries, { fromMs: w.fromMs, toMs: w.toMs, stepMs: w.toMs - w.fromMs, webhookId: q.webhookId })[0].tally;
    res.json({
      window: q.window,
      webhookId: q.webhookId ?? null,
      from: new Date(w.fromMs),
      to: new Date(w.toMs),
      stepSeconds: w.stepMs / 1000,
      outcomes: OUTCOMES,
      total: deliveryPoint(total),
      series: series.map((b) => ({ at: new Date(b.at), ...deliveryPoint(b.tally) })),
    });
  });

  return router;
}
