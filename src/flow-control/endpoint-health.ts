/**
 * A webhook's endpoint health in MongoDB (webhook_health), shared by every worker: each attempt's
 * outcome is counted, the circuit opens, probes and closes by the rules in circuit.ts, and a webhook
 * failing for too long is disabled. State changes are reported through `onChange` (operational
 * events, metrics) once each: the embedded FerretDB 1.x does not apply conditional updates
 * atomically (a findOneAndUpdate let two attempts probe at once, and two failures at the threshold
 * both "opened" the circuit), so whatever must happen once (the probe of an open period, the report
 * of a change) is claimed by inserting a permit named after it, atomic by `_id` on every server.
 *
 * Hot path cost: a healthy webhook costs nothing per attempt beyond one read per second per
 * process (a cache): a success writes only when the webhook had failures to forget.
 */
import type { Logger } from '../logger';
import type { Models } from '../models';
import type { WebhookHealthDoc } from '../models/webhook-health';
import { insertPermit, insertPermitOrTakeOver } from './permits';
import { circuitDecision, circuitSettings, cooldownSeconds, shouldAutoDisable, shouldOpen, type CircuitOverrides, type CircuitSettings, type HealthFacts } from './circuit';

/** How stale a process's view of a webhook's health may be. */
const CACHE_MS = 1000;
/** How long the claim of a change's report is kept (racing reporters come within milliseconds). */
const REPORT_CLAIM_MS = 86_400_000;

export type HealthChange = { webhookId: string; webhookName: string | null; at: Date } & (
  | { type: 'circuit_opened'; consecutiveFailures: number; failureThreshold: number; nextProbeAt: Date }
  | { type: 'circuit_closed'; openedAt: Date | null }
  | { type: 'disabled'; failingSince: Date; reason: string }
);

type HealthWebhook = { _id: string; name?: string | null } & CircuitOverrides;

export interface EndpointHealthDeps {
  models: Pick<Models, 'WebhookHealth' | 'Webhook' | 'DeliveryPermit'>;
  logger: Logger;
  defaults: CircuitSettings;
  /** Told of every state change this process decided (after it is stored). */
  onChange?: (change: HealthChange) => Promise<void>;
}

export interface EndpointHealth {
  /** The webhook's health as this process last saw it (at most CACHE_MS old); null: never failed. */
  read(webhookId: string, now: Date): Promise<HealthFacts | null>;
  /** Claims the one probe of an open (or abandoned half-open) circuit; true if this attempt is it. */
  claimProbe(webhookId: string, now: Date, leaseMs: number): Promise<boolean>;
  /** Counts an attempt's outcome. Best effort: a failure here is logged, never fails the attempt. */
  record(webhook: HealthWebhook, signal: 'success' | 'failure', opts: { now: Date }): Promise<void>;
  settings(webhook: CircuitOverrides): CircuitSettings;
}

type Facts = HealthFacts & { since?: Date | null };

/**
 * The probe period an open or half-open circuit is in, which names its probe permit
 * (`<webhookId>:probe:<period>`): a timestamp stored with the state, the same for every worker.
 * Only the current period's permit is ever claimed; the purge keeps it and may remove older ones.
 */
export function probePeriod(health: Pick<HealthFacts, 'state' | 'nextProbeAt' | 'probeUntil'>): string {
  return health.state === 'open' ? `open:${health.nextProbeAt?.getTime() ?? 0}` : `half-open:${health.probeUntil?.getTime() ?? 0}`;
}

export function createEndpointHealth(deps: EndpointHealthDeps): EndpointHealth {
  const { WebhookHealth, Webhook, DeliveryPermit } = deps.models;
  const cache = new Map<string, { at: number; doc: Facts | null }>();
  const remember = (id: string, doc: Facts | null, now: Date) => cache.set(id, { at: now.getTime(), doc });
  const pristine = (doc: Facts | null) => !doc || (doc.state === 'closed' && doc.consecutiveFailures === 0);

  /** The permit that claims `name` (`<webhookId>:<kind>:<name>`) for one process of all (permits.ts). */
  const claim = (webhookId: string, name: string, kind: 'probe' | 'report', until: Date) => ({ _id: `${webhookId}:${kind}:${name}`, webhookId, kind, n: 0, until });

  /**
   * Reports a change once however many workers decided it: `period` names the state it ends (a
   * timestamp stored with that state, the same for every worker that saw it).
   */
  async function report(change: HealthChange, period: Date | null | undefined): Promise<void> {
    const name = `${change.type}:${period?.getTime() ?? 0}`;
    if (!(await insertPermit(DeliveryPermit, claim(change.webhookId, name, 'report', new Date(change.at.getTime() + REPORT_CLAIM_MS))))) return;
    deps.logger.warn({ ...change }, `webhook ${change.webhookId}: ${change.type.replace('_', ' ')}`);
    // After the change is stored: a failure to tell is logged by record(), the change stands.
    await deps.onChange?.(change);
  }

  async function onSuccess(webhook: HealthWebhook, now: Date): Promise<void> {
    const id = webhook._id;
    const seen = cache.get(id);
    if (seen && now.getTime() - seen.at < CACHE_MS && pristine(seen.doc)) return;
    const before = await WebhookHealth.findOneAndUpdate(
      { _id: id, $or: [{ state: { $ne: 'closed' } }, { consecutiveFailures: { $gt: 0 } }] },
      { $set: { state: 'closed', consecutiveFailures: 0, openings: 0, failingSince: null, nextProbeAt: null, probeUntil: null, lastSuccessAt: now } },
      { new: false },
    ).lean<WebhookHealthDoc>();
    remember(id, { state: 'closed', consecutiveFailures: 0 }, now);
    if (before && before.state !== 'closed') {
      await WebhookHealth.updateOne({ _id: id, state: 'closed' }, { $set: { since: now } });
      // Two index ranges (an $or would be read in memory).
      await DeliveryPermit.deleteMany({ webhookId: id, kind: 'probe' });
      await DeliveryPermit.deleteMany({ webhookId: id, kind: 'report', until: { $lt: now } });
      // `since` of an open or half-open circuit is when it (last) opened: the same for every closer.
      await report({ type: 'circuit_closed', webhookId: id, webhookName: webhook.name ?? null, at: now, openedAt: before.since ?? null }, before.since);
    }
  }

  async function onFailure(webhook: HealthWebhook, now: Date): Promise<void> {
    const id = webhook._id;
    const settings = circuitSettings(deps.defaults, webhook);
    const doc = await WebhookHealth.findOneAndUpdate(
      { _id: id },
      { $inc: { consecutiveFailures: 1 }, $set: { lastFailureAt: now }, $setOnInsert: { state: 'closed', since: now, openings: 0, failingSince: now } },
      { upsert: true, new: true },
    ).lean<WebhookHealthDoc>();
    const facts: Facts = { ...doc };
    if (!doc.failingSince) {
      await WebhookHealth.updateOne({ _id: id, failingSince: null }, { $set: { failingSince: now } });
      facts.failingSince = now;
    }
    if (doc.state === 'half-open') {
      // The probe failed: open again, with a longer cool-down.
      const openings = (doc.openings ?? 0) + 1;
      const nextProbeAt = new Date(now.getTime() + cooldownSeconds(settings, openings) * 1000);
      await WebhookHealth.updateOne({ _id: id, state: 'half-open' }, { $set: { state: 'open', since: now, nextProbeAt, probeUntil: null, openings } });
      Object.assign(facts, { state: 'open', nextProbeAt, openings });
    } else if (shouldOpen(doc, settings)) {
      const nextProbeAt = new Date(now.getTime() + cooldownSeconds(settings, 1) * 1000);
      const opened = await WebhookHealth.updateOne({ _id: id, state: 'closed' }, { $set: { state: 'open', since: now, nextProbeAt, probeUntil: null, openings: 1 } });
      Object.assign(facts, { state: 'open', nextProbeAt, openings: 1 });
      if (opened.modifiedCount > 0) {
        // Two failures at the threshold may both "modify" on FerretDB: the closed period's `since` decides.
        await report({
          type: 'circuit_opened',
          webhookId: id,
          webhookName: webhook.name ?? null,
          at: now,
          consecutiveFailures: doc.consecutiveFailures,
          failureThreshold: settings.failureThreshold,
          nextProbeAt,
        }, doc.since);
      }
    }
    remember(id, facts, now);
    if (shouldAutoDisable(facts.failingSince, now, settings)) {
      const reason = `failing continuously since ${facts.failingSince!.toISOString()} (auto-disable after ${settings.autoDisableAfterSeconds} s)`;
      const disabled = await Webhook.updateOne({ _id: id, enabled: true, deletedAt: null }, { $set: { enabled: false, disabledReason: reason, disabledAt: now } });
      if (disabled.modifiedCount > 0) await report({ type: 'disabled', webhookId: id, webhookName: webhook.name ?? null, at: now, failingSince: facts.failingSince!, reason }, facts.failingSince);
    }
  }

  return {
    settings: (webhook) => circuitSettings(deps.defaults, webhook),
    async read(id, now) {
      const seen = cache.get(id);
      if (seen && now.getTime() - seen.at < CACHE_MS) return seen.doc;
      const doc = await WebhookHealth.findById(id).lean<WebhookHealthDoc>();
      remember(id, doc, now);
      return doc;
    },
    async claimProbe(id, now, leaseMs) {
      const health = await WebhookHealth.findById(id).lean<WebhookHealthDoc>();
      remember(id, health, now);
      if (!health || circuitDecision(health, now).kind !== 'probe') return false;
      // One probe per open period (or per abandoned probe it takes over), decided by inserting a
      // permit named after it: atomic by _id, where a conditional update on FerretDB 1.x is not.
      // A claim still there after its lease, in the same period, is taken over: its claimer died
      // before the half-open update below, and nobody would ever probe again.
      const probeUntil = new Date(now.getTime() + leaseMs);
      if (!(await insertPermitOrTakeOver(DeliveryPermit, claim(id, probePeriod(health), 'probe', probeUntil), now))) return false;
      await WebhookHealth.updateOne({ _id: id }, { $set: { state: 'half-open', probeUntil } });
      remember(id, { ...health, state: 'half-open', probeUntil }, now);
      return true;
    },
    async record(webhook, signal, { now }) {
      try {
        if (signal === 'success') await onSuccess(webhook, now);
        else await onFailure(webhook, now);
      } catch (err) {
        // The attempt is recorded already; losing one count only delays a circuit change.
        deps.logger.warn({ err, webhookId: webhook._id }, 'could not update the webhook health');
      }
    },
  };
}
