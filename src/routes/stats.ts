/**
 * `GET /v1/stats/webhooks`: health at a glance, per webhook, over a time window (default the last
 * 24 hours): notifications by status, the success rate of finished ones, and attempt latency.
 * Counts are one $group pass over the window; latency is read from the newest 5000 notifications
 * of the window (FerretDB has no $avg/$max accumulators); joined with the webhook names in memory.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { parseQuery } from '../http/validate';
import { NOTIFICATION_STATUSES } from '../models/notification';

const DAY_MS = 24 * 60 * 60 * 1000;
const LATENCY_SAMPLE = 5000;

export const webhookStatsQuery = z
  .object({
    since: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s)).optional(),
  })
  .strict();

type Counts = Record<(typeof NOTIFICATION_STATUSES)[number], number>;

export function statsRouter(deps: AppDeps): Router {
  const router = Router();
  const { Notification, Webhook } = deps.models;

  router.get('/webhooks', async (req, res) => {
    const q = parseQuery(webhookStatsQuery, req.query);
    const since = q.since ?? new Date(Date.now() - DAY_MS);
    const match = { $match: { createdAt: { $gte: since } } };
    const [byStatus, latency] = await Promise.all([
      Notification.aggregate<{ _id: { webhookId: string; status: string }; n: number }>([
        match,
        { $group: { _id: { webhookId: '$webhookId', status: '$status' }, n: { $sum: 1 } } },
      ]),
      // Latency from the attempts themselves, in memory: FerretDB 1.x implements neither $avg nor
      // $max in $group. Bounded to the newest LATENCY_SAMPLE notifications of the window.
      Notification.find(match.$match, { webhookId: 1, 'attempts.durationMs': 1 }).sort({ _id: -1 }).limit(LATENCY_SAMPLE).lean(),
    ]);
    type Row = { counts: Counts; attempts: number; avgMs: number | null; maxMs: number | null };
    const rows = new Map<string, Row>();
    const row = (id: string): Row => {
      const found = rows.get(id);
      if (found) return found;
      const created: Row = { counts: Object.fromEntries(NOTIFICATION_STATUSES.map((st) => [st, 0])) as Counts, attempts: 0, avgMs: null, maxMs: null };
      rows.set(id, created);
      return created;
    };
    for (const s of byStatus) if (s._id.status in row(s._id.webhookId).counts) row(s._id.webhookId).counts[s._id.status as keyof Counts] = s.n;
    const totals = new Map<string, number>();
    for (const n of latency) {
      const r = row(n.webhookId);
      for (const a of n.attempts ?? []) {
        r.attempts++;
        totals.set(n.webhookId, (totals.get(n.webhookId) ?? 0) + a.durationMs);
        r.maxMs = Math.max(r.maxMs ?? 0, a.durationMs);
      }
    }
    for (const [id, total] of totals) row(id).avgMs = total / row(id).attempts;
    const webhooks = await Webhook.find({ _id: { $in: [...rows.keys()] } }, { name: 1, deletedAt: 1 }).lean();
    const names = new Map(webhooks.map((w) => [w._id as string, { name: w.name, deleted: Boolean(w.deletedAt) }]));
    const data = [...rows.entries()].map(([webhookId, r]) => {
      const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
      const finished = r.counts.sent + r.counts.failed;
      return {
        webhookId,
        webhookName: names.get(webhookId)?.name ?? null,
        deleted: names.get(webhookId)?.deleted ?? true,
        notifications: { total, ...r.counts },
        // Of the notifications that reached an end state; in-flight ones are not counted either way.
        successRate: finished ? r.counts.sent / finished : null,
        attempts: r.attempts,
        avgLatencyMs: r.avgMs === null ? null : Math.round(r.avgMs),
        maxLatencyMs: r.maxMs,
      };
    });
    data.sort((a, b) => b.notifications.total - a.notifications.total);
    res.json({ since, data });
  });

  return router;
}
