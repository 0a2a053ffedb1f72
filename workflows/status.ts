/**
 * A notification's status rules, in one pure module: the workflow, the activities, the API and the
 * CLI all decide with these functions, so MongoDB and Temporal's `HeraldStatus` cannot drift apart
 * by two pieces of code disagreeing. Deterministic (workflow code imports it).
 *
 *   pending ──► retrying ──► sent | failed
 *      └──────────┴────────► cancelled   (webhook deleted or disabled, communications off)
 *   sent | failed | cancelled ──(manual resend)──► sent | failed
 */
export const DELIVERY_STATUSES = ['pending', 'retrying', 'sent', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Why automatic attempts stopped before they ran out. */
export const STOP_REASONS = ['webhook_deleted', 'webhook_disabled', 'communications_off'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/**
 * Why an automatic attempt waits without being made (no delivery attempt is used): the webhook's
 * circuit is open, or its rate or concurrency limit is reached (src/flow-control).
 */
export const HOLD_REASONS = ['circuit_open', 'rate_limited', 'concurrency_limited'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

/** The automatic round may still make attempts. */
export function isRoundOpen(status: DeliveryStatus): boolean {
  return status === 'pending' || status === 'retrying';
}

/**
 * A manual resend sends the stored snapshot: a notification whose render failed has none, ever.
 * (One still being prepared has none yet; its resend waits in the workflow.)
 */
export function canResend(n: { status: DeliveryStatus | string; hasSnapshot: boolean }): boolean {
  return n.hasSnapshot || n.status !== 'failed';
}

export interface AttemptFacts {
  ok: boolean;
  automatic: boolean;
  /** The automatic round ends with this attempt (attempts exhausted, or blocked destination). */
  final: boolean;
  /** For a manual attempt: the automatic round is still open (waiting to retry). */
  roundOpen: boolean;
}

/** The status after an attempt, given the status it was recorded over. */
export function statusAfterAttempt(current: DeliveryStatus, a: AttemptFacts): DeliveryStatus {
  if (a.ok) return 'sent';
  // Nothing undoes a success: a failed resend of a sent notification leaves it sent.
  if (current === 'sent') return 'sent';
  if (!a.automatic) return a.roundOpen ? 'retrying' : 'failed';
  // An automatic attempt that was already in flight when the notification was stopped.
  if (current === 'cancelled') return 'cancelled';
  return a.final ? 'failed' : 'retrying';
}

/** A stop only cancels a notification whose automatic round is still open. */
export function statusAfterStop(current: DeliveryStatus): DeliveryStatus {
  return isRoundOpen(current) ? 'cancelled' : current;
}
