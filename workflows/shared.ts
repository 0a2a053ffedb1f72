/**
 * Names and types shared by the workflow, its activities, the API and the CLI. Only IDs and small
 * values cross into Temporal history: never a request body, a response body or a secret.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const NOTIFICATION_WORKFLOW = 'notificationWorkflow';

export function notificationWorkflowId(notificationId: string): string {
  return `notification-${notificationId}`;
}

export const SEARCH_ATTRIBUTE_NAMES = ['HeraldStatus', 'HeraldWebhookId', 'HeraldEventType', 'HeraldAccountId'] as const;
export const HeraldStatus = defineSearchAttributeKey('HeraldStatus', SearchAttributeType.KEYWORD);
export const HeraldWebhookId = defineSearchAttributeKey('HeraldWebhookId', SearchAttributeType.KEYWORD);
export const HeraldEventType = defineSearchAttributeKey('HeraldEventType', SearchAttributeType.KEYWORD);
export const HeraldAccountId = defineSearchAttributeKey('HeraldAccountId', SearchAttributeType.KEYWORD);

/**
 * The account a workflow and its activities act for (src/accounts/scope.ts). Absent in executions
 * started before accounts existed: those belong to the account `default`.
 */
export interface AccountInput {
  accountId?: string;
}

import type { DeliveryStatus, HoldReason, StopReason } from './status';
export type { DeliveryStatus, HoldReason, StopReason } from './status';
export type AttemptTrigger = 'automatic' | 'manual';

export interface NotificationWorkflowInput extends AccountInput {
  notificationId: string;
  /**
   * Set when the run was started by signal-with-start to resend a notification whose earlier run
   * had closed: skip the automatic round and only serve the resend signal(s).
   */
  resendOnly?: boolean;
  /** A run continued-as-new keeps its original resend window (ISO time); otherwise it starts at the run's start. */
  windowEndsAt?: string;
}

export interface ResendArgs {
  reason?: string;
}

/** The webhook's retry schedule, copied at prepare time (plain config, no secrets). */
export interface RetrySchedule {
  maxAttempts: number;
  initialIntervalSeconds: number;
  backoffCoefficient: number;
  maxIntervalSeconds: number;
}

/** What prepare returns to the workflow: the schedule and a few words for the Web UI. */
export interface PrepareResult {
  /** How long the execution stays open after delivery to serve resends by plain signal (set by the worker). */
  resendWindowSeconds?: number;
  status: DeliveryStatus;
  webhookId: string;
  eventType: string;
  method: string;
  host: string;
  retry: RetrySchedule;
  timeoutSeconds: number;
}

export interface DeliverInput extends AccountInput {
  notificationId: string;
  trigger: AttemptTrigger;
  /** Same for every automatic retry of one round, new for each manual resend. */
  idempotencyKey: string;
  retry: RetrySchedule;
  /**
   * For a manual attempt: whether an automatic round is still open (waiting to retry). A failed
   * manual attempt then leaves the notification `retrying` with its next automatic attempt time;
   * otherwise it is `failed`.
   */
  roundOpen?: boolean;
}

/** A small summary of one attempt, safe for history. */
export interface AttemptSummary {
  number: number;
  trigger: AttemptTrigger;
  ok: boolean;
  statusCode?: number;
  errorKind?: string;
  finishedAt: string;
}

export interface DeliverResult {
  status: DeliveryStatus;
  attempt: AttemptSummary;
}

/** Reported by the deliver activity after a failed attempt that will be retried. */
export interface AttemptReport {
  status: DeliveryStatus;
  attempt: AttemptSummary;
  nextAttemptAt: string | null;
}

export interface NotificationState {
  notificationId: string;
  status: DeliveryStatus;
  attempts: number;
  lastAttempt: AttemptSummary | null;
  nextAttemptAt: string | null;
  manualResends: number;
  /** The round waits for the webhook's circuit or limits (no attempt used), not for a backoff. */
  heldReason?: HoldReason;
}

export const resendSignal = defineSignal<[ResendArgs?]>('resend');
/** Stops the automatic round (webhook deleted or disabled, communications off): the notification ends `cancelled`. */
export const stopSignal = defineSignal<[StopArgs]>('stop');

export interface StopArgs {
  reason: StopReason;
}

/** The first automatic attempt, made by a local activity in the workflow's first task. */
export interface FirstAttemptInput extends AccountInput {
  notificationId: string;
  idempotencyKey: string;
  /** Only load the notification (resend-only or continued runs): no attempt. */
  noAttempt?: boolean;
}

export type AttemptOutcome =
  | {
      kind: 'attempted';
      status: DeliveryStatus;
      attempt: AttemptSummary;
      /** The round is over (sent, attempts exhausted, blocked). */
      final: boolean;
      /** Seconds until the next automatic attempt, when not final. */
      nextDelaySeconds: number | null;
      /** When that is (ISO), as recorded in MongoDB. */
      nextAttemptAt: string | null;
    }
  | { kind: 'stopped'; reason: StopReason }
  /** Nothing sent, no attempt used: the webhook's circuit or limits hold it until `until` (ISO). */
  | { kind: 'held'; reason: HoldReason; until: string; waitSeconds: number };

export interface FirstAttemptResult {
  prep: PrepareResult;
  outcome: AttemptOutcome | null;
}

export interface RecordStopInput extends AccountInput {
  notificationId: string;
  reason: StopReason;
}
/** Sent by the deliver activity so the workflow (and the Web UI) see each failed attempt. */
export const attemptRecordedSignal = defineSignal<[AttemptReport]>('attemptRecorded');
export const statusQuery = defineQuery<NotificationState>('status');

/** A bulk resend: one workflow per request, id `bulk-resend-<jobId>`, on the same task queue. */
export const BULK_RESEND_WORKFLOW = 'bulkResendWorkflow';

export function bulkResendWorkflowId(jobId: string): string {
  return `bulk-resend-${jobId}`;
}

/**
 * Which notifications a bulk resend covers: plain strings (dates as ISO), small enough for
 * history. `notAfter` is the time of the request, so notifications created later are not swept in.
 */
export interface BulkResendFilter extends AccountInput {
  status?: DeliveryStatus;
  webhookId?: string;
  eventType?: string;
  since?: string;
  until?: string;
  notAfter: string;
}

export interface BulkResendResult {
  matched: number;
  resent: number;
  /** Notifications whose resend could not be signalled (e.g. no snapshot to send). */
  skipped: number;
}

/** Error types the deliver activity throws that must not be retried. */
export const NON_RETRYABLE_ERRORS = ['BlockedDestination', 'RenderFailure', 'AttemptsExhausted', 'NotificationGone', 'DeliveryStopped'] as const;
/** Thrown for a failed delivery attempt that Temporal should retry. */
export const ATTEMPT_FAILED_ERROR = 'AttemptFailed';
/** Thrown when the webhook's circuit or limits hold an attempt: retried at the time they allow, no attempt used. */
export const DELIVERY_HELD_ERROR = 'DeliveryHeld';

/** A replay: one workflow per request, id `replay-<jobId>`, on the same task queue. */
export const REPLAY_WORKFLOW = 'replayWorkflow';

export function replayWorkflowId(jobId: string): string {
  return `replay-${jobId}`;
}

/**
 * Which events a replay covers (the filters of `GET /v1/events`): plain strings, dates as ISO.
 * `notAfter` is the time of the request, so events accepted later are not swept in.
 */
export interface ReplayFilter extends AccountInput {
  eventId?: string;
  type?: string;
  entityId?: string;
  since?: string;
  until?: string;
  matched?: boolean;
  notAfter: string;
}

export interface ReplayResult {
  /** Events the filter covered (each one's fan-out was re-run). */
  events: number;
  /** Notifications created: (event, webhook) pairs that had none. */
  created: number;
  /** Events that got at least one new notification. */
  eventsWithNew: number;
}

/** The retention purge: run by the `herald-purge` schedule, or on demand (`herald purge`, the API). */
export const PURGE_WORKFLOW = 'purgeWorkflow';

export function purgeWorkflowId(jobId: string): string {
  return `purge-${jobId}`;
}

export interface PurgeInput {
  /** Documents per activity call; 500 by default. */
  batchSize?: number;
  /** Carried over continue-as-new: the run keeps one cutoff and its counts. */
  cutoff?: PurgeCutoff;
  progress?: PurgeProgress;
}

/** Older than `cutoff` (ISO) is purged: the worker's HERALD_RETENTION before the run started. */
export interface PurgeCutoff {
  cutoff: string;
  retentionSeconds: number;
}

export interface PurgeProgress {
  phase: 'notifications' | 'events';
  notifications: number;
  events: number;
  /** Events scanned so far (account by account, oldest first): the next batch starts after this one. */
  after: { createdAt: string; id: string; accountId?: string } | null;
}

export interface PurgeBatchInput {
  cutoff: string;
  limit: number;
  /** Events only: where the previous batch stopped (and in which account: the purge walks them in order). */
  after?: { createdAt: string; id: string; accountId?: string } | null;
}

export interface PurgeBatchResult {
  /** Candidates read: fewer than the limit means nothing older is left. */
  scanned: number;
  deleted: number;
  /** Events only: where this batch stopped. */
  next?: { createdAt: string; id: string; accountId?: string } | null;
}

export interface PurgeResult extends PurgeCutoff {
  notifications: number;
  events: number;
  /**
   * The flow-control step (purge-flow-control-state): endpoint health of deleted webhooks, and
   * delivery permits that can never matter again. Absent from runs started before it existed.
   */
  healthDocs?: number;
  permits?: number;
}
