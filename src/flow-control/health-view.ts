/**
 * A webhook's `health` as the API shows it: the circuit's state and since when, its failure streak,
 * the next probe, the effective thresholds, and (for one webhook) its recent failure rate, counted
 * from the attempts recorded in the last RECENT_WINDOW_SECONDS.
 */
import type { Models } from '../models';
import type { WebhookHealthDoc } from '../models/webhook-health';
import { circuitSettings, healthSignal, type CircuitOverrides, type CircuitSettings } from './circuit';
import type { AttemptErrorKind } from '../models/notification';

export const RECENT_WINDOW_SECONDS = 900;
/** Bounds the read behind `recent` (newest notifications first). */
const RECENT_SAMPLE = 2000;

export interface HealthView {
  state: string;
  since: Date | null;
  consecutiveFailures: number;
  failingSince: Date | null;
  nextProbeAt: Date | null;
  thresholds: CircuitSettings;
  recent?: { windowSeconds: number; attempts: number; failures: number; failureRate: number | null };
}

export async function healthViews(
  models: Pick<Models, 'WebhookHealth' | 'Notification'>,
  defaults: CircuitSettings,
  webhooks: ReadonlyArray<{ _id: string } & CircuitOverrides>,
  opts: { recent: boolean; now?: Date },
): Promise<Map<string, HealthView>> {
  const docs = await models.WebhookHealth.find({ _id: { $in: webhooks.map((w) => w._id) } }).lean<WebhookHealthDoc[]>();
  const byId = new Map(docs.map((d) => [d._id, d]));
  const views = new Map<string, HealthView>();
  for (const w of webhooks) {
    const h = byId.get(w._id);
    views.set(w._id, {
      state: h?.state ?? 'closed',
      since: h?.since ?? null,
      consecutiveFailures: h?.consecutiveFailures ?? 0,
      failingSince: h?.failingSince ?? null,
      nextProbeAt: h?.state === 'open' ? (h.nextProbeAt ?? null) : null,
      thresholds: circuitSettings(defaults, w),
    });
  }
  if (opts.recent) {
    const since = new Date((opts.now ?? new Date()).getTime() - RECENT_WINDOW_SECONDS * 1000);
    for (const w of webhooks) views.get(w._id)!.recent = await recentFailures(models, w._id, since);
  }
  return views;
}

async function recentFailures(models: Pick<Models, 'Notification'>, webhookId: string, since: Date): Promise<NonNullable<HealthView['recent']>> {
  const rows = await models.Notification.find({ webhookId, updatedAt: { $gte: since } }, { 'attempts.error': 1, 'attempts.finishedAt': 1 })
    .sort({ updatedAt: -1 })
    .limit(RECENT_SAMPLE)
    .lean();
  let attempts = 0;
  let failures = 0;
  for (const n of rows) {
    for (const a of n.attempts ?? []) {
      if (!a.finishedAt || a.finishedAt < since) continue;
      // Counted as the circuit counts them (healthSignal): configuration problems are neither.
      const signal = healthSignal({ ok: !a.error, error: a.error ? { kind: a.error.kind as AttemptErrorKind, message: '' } : undefined });
      if (!signal) continue;
      attempts++;
      if (signal === 'failure') failures++;
    }
  }
  return { windowSeconds: RECENT_WINDOW_SECONDS, attempts, failures, failureRate: attempts ? failures / attempts : null };
}
