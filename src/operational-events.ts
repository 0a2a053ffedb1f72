/**
 * Operational events: Herald's own events about its webhooks and notifications (an endpoint's
 * circuit opened or closed, a webhook auto-disabled, a notification's attempts exhausted). They go
 * through the same machinery as a client's event: stored like an accepted one (src/ingest.ts),
 * fanned out (src/fan-out.ts) to the webhooks subscribed to them, signed like any other delivery.
 *
 * - Opt-in by name: `"*"` never matches a `herald.*` type (src/matching/event-type.ts).
 * - Clients cannot send them: `POST /v1/events` and inbound sources refuse the `herald.` prefix.
 * - Idempotent: the caller's `key` (e.g. the failed notification and its round) becomes the
 *   event's dedupe key, in a namespace (`herald:`) no client Idempotency-Key or event id can
 *   reach, so a retried activity stores and fans out one event, never two.
 * - Durable once stored: a fan-out interrupted after the insert is finished by the dispatch
 *   sweeper or by the retried emit (ingestEvent's duplicate path completes it).
 * - `source: "herald"` marks the event as Herald's own in `GET /v1/events`.
 * - `entityIds: [webhookId]`: every operational event is about one webhook, so an operator can
 *   target it per webhook with the usual per-entity switches.
 */
import { ingestEvent, type IngestDeps, type IngestResult } from './ingest';

export const OPERATIONAL_EVENT_TYPES = [
  'herald.webhook.circuit_opened',
  'herald.webhook.circuit_closed',
  'herald.webhook.disabled',
  'herald.notification.failed',
] as const;

export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

/** `source` of a stored operational event (a client source's id always starts with `src_`). */
export const OPERATIONAL_SOURCE = 'herald';

/** Every operational event names the webhook it is about; the rest of `data` depends on the type. */
export type OperationalEventData = { webhookId: string } & Record<string, unknown>;

/** `herald.notification.failed`: a notification's automatic attempts are exhausted. */
export interface NotificationFailedData extends OperationalEventData {
  notificationId: string;
  webhookId: string;
  webhookName: string | null;
  eventId: string;
  eventType: string;
  /** The notification's attempt count, i.e. the number of its last attempt. */
  attempts: number;
  lastAttempt: { statusCode: number | null; errorKind: string | null; finishedAt: string };
}

/**
 * What each type means and a sample of its `data`: the sample's paths feed the console's
 * placeholder picker (GET /v1/event-types) before any such event happened.
 */
export const OPERATIONAL_EVENTS: Record<OperationalEventType, { description: string; sample: OperationalEventData }> = {
  'herald.webhook.circuit_opened': {
    description: "a webhook's circuit opened: its recent attempts failed past the threshold, deliveries wait",
    sample: {
      webhookId: 'wh_0mk2f9a3b4c5d6e7',
      webhookName: 'CRM',
      openedAt: '2026-11-30T10:00:00.000Z',
      consecutiveFailures: 10,
      failureThreshold: 10,
      nextProbeAt: '2026-11-30T10:00:30.000Z',
    },
  },
  'herald.webhook.circuit_closed': {
    description: "a webhook's circuit closed again: a probe succeeded, waiting deliveries go out",
    sample: { webhookId: 'wh_0mk2f9a3b4c5d6e7', webhookName: 'CRM', closedAt: '2026-11-30T10:05:00.000Z', openedAt: '2026-11-30T10:00:00.000Z' },
  },
  'herald.webhook.disabled': {
    description: 'a webhook was disabled automatically after failing continuously',
    sample: {
      webhookId: 'wh_0mk2f9a3b4c5d6e7',
      webhookName: 'CRM',
      disabledAt: '2026-12-05T10:00:00.000Z',
      failingSince: '2026-11-30T10:00:00.000Z',
      reason: 'failing continuously since 2026-11-30T10:00:00.000Z (auto-disable after 432000 s)',
    },
  },
  'herald.notification.failed': {
    description: "a notification's automatic attempts are exhausted: it is failed",
    sample: {
      notificationId: 'ntf_0mk2fa01b2c3d4e5f',
      webhookId: 'wh_0mk2f9a3b4c5d6e7',
      webhookName: 'CRM',
      eventId: 'evt_0mk2f9b7c8d9e0f1',
      eventType: 'loan.disbursed',
      attempts: 12,
      lastAttempt: { statusCode: 503, errorKind: 'http_status', finishedAt: '2026-11-30T10:00:00.000Z' },
    } satisfies NotificationFailedData,
  },
};

export function isOperationalEventType(type: string): type is OperationalEventType {
  return (OPERATIONAL_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * What the emitter needs: ingestion's deps. From an activity, `temporal` is the activity's own
 * client and task queue (activities/operational-events.ts builds it); the rest are ActivityDeps.
 */
export type OperationalEventDeps = IngestDeps;

/**
 * Stores an operational event and fans it out to the webhooks subscribed to `type` by name.
 * Idempotent on `opts.key`: a second call with the same key creates nothing and returns the first
 * event (finishing its fan-out if that was interrupted). Throws only if the event could not be
 * stored (MongoDB unreachable); a fan-out failure after the insert is left to the dispatch sweeper.
 */
export async function emitOperationalEvent(
  deps: OperationalEventDeps,
  type: OperationalEventType,
  data: OperationalEventData,
  opts: { key: string; occurredAt?: Date },
): Promise<IngestResult> {
  if (!isOperationalEventType(type)) throw new Error(`${type} is not an operational event type`);
  if (!opts.key) throw new Error('an operational event needs a key (its idempotency key)');
  return ingestEvent(
    deps,
    { type, data, entityIds: [data.webhookId], occurredAt: opts.occurredAt },
    { source: OPERATIONAL_SOURCE, dedupeKey: `herald:${opts.key}` },
  );
}
