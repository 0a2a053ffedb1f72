/**
 * The shapes the API answers with, as zod schemas for the OpenAPI document. Requests are
 * documented from the very schemas the routes validate with (src/routes/*); responses are built by
 * view functions, so these are checked against real answers by test/integration/openapi.test.ts.
 */
import { z } from 'zod';
import { NOTIFICATION_STATUSES, ATTEMPT_ERROR_KINDS } from '../models/notification';
import { CIRCUIT_STATES } from '../models/webhook-health';
import { HOLD_REASONS } from '../../workflows/status';
import { OUTCOMES } from '../stats/tally';

const dateTime = z.iso.datetime({ offset: true });
const nullableDateTime = dateTime.nullable();
const stringMap = z.record(z.string(), z.string());

export const errorResponse = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'stable code: validation_error, malformed_json, payload_too_large, unauthorized, access_denied, not_found, conflict, service_unavailable, internal_error' }),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  ;

const retry = z.object({ maxAttempts: z.number().int(), initialIntervalSeconds: z.number(), backoffCoefficient: z.number(), maxIntervalSeconds: z.number() });

const health = z.object({
  state: z.enum(CIRCUIT_STATES),
  since: nullableDateTime.meta({ description: 'when the circuit entered its state (null: it never failed)' }),
  consecutiveFailures: z.number().int(),
  failingSince: nullableDateTime.meta({ description: 'first failure since the last success: auto-disable counts from here' }),
  nextProbeAt: nullableDateTime.meta({ description: 'while open: when the next probe attempt may go' }),
  thresholds: z.object({ failureThreshold: z.number().int(), cooldownSeconds: z.number(), maxCooldownSeconds: z.number(), autoDisableAfterSeconds: z.number().nullable() }),
  recent: z
    .object({ windowSeconds: z.number().int(), attempts: z.number().int(), failures: z.number().int(), failureRate: z.number().nullable() })
    .optional()
    .meta({ description: 'attempts of the last 15 minutes (GET /v1/webhooks/{id} only)' }),
});

export const webhookResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    eventTypes: z.array(z.string()),
    condition: z.record(z.string(), z.unknown()).nullable(),
    targeting: z.enum(['opt-out', 'opt-in']),
    url: z.string(),
    method: z.enum(['POST', 'PUT', 'PATCH']),
    contentType: z.enum(['application/json', 'application/xml', 'text/plain']),
    bodyTemplate: z.string().nullable(),
    payloadVersion: z.string(),
    apiVersion: z.string().meta({ description: 'versioned event types: "account" (its account\'s pin), "latest", or a semver' }),
    headers: stringMap,
    auth: z.union([z.object({ type: z.literal('none') }), z.object({ type: z.literal('basic'), username: z.string() })]).meta({ description: 'the password is write-only' }),
    idempotencyKey: z.boolean(),
    signing: z.object({ enabled: z.boolean() }),
    retry,
    timeoutSeconds: z.number().int(),
    rateLimit: z.union([z.object({ perSecond: z.number().int() }), z.object({ perMinute: z.number().int() })]).nullable().meta({ description: 'attempts started per second or minute, across all workers; null: no limit' }),
    maxConcurrency: z.number().int().nullable().meta({ description: 'attempts in flight at once, across all workers; null: no limit' }),
    circuitBreaker: z.object({ failureThreshold: z.number().int().optional(), cooldownSeconds: z.number().int().optional() }).nullable().meta({ description: 'overrides of the circuit breaker defaults' }),
    autoDisableAfterSeconds: z.number().int().nullable().meta({ description: 'override of HERALD_AUTO_DISABLE_AFTER; 0: never' }),
    disabledReason: z.string().nullable().meta({ description: 'set when Herald disabled the webhook because it kept failing' }),
    disabledAt: nullableDateTime,
    health: health.optional().meta({ description: 'the endpoint health (on reads): circuit breaker state and thresholds' }),
    createdAt: dateTime,
    updatedAt: dateTime,
  })
  ;

export const webhookWithWarnings = webhookResponse
  .extend({ warnings: z.array(z.string()).meta({ description: 'reserved static headers that were ignored' }) })
  ;

export const previewResponse = z
  .object({ method: z.string(), url: z.string(), headers: stringMap, body: z.string(), warnings: z.array(z.string()) })
  ;

export const subscriptionResponse = z
  .object({ webhookId: z.string(), entityId: z.string(), enabled: z.boolean(), createdAt: dateTime, updatedAt: dateTime })
  ;

export const secretResponse = z.object({ secret: z.string().regex(/^whsec_/), previousSecretExpiresAt: nullableDateTime });

export const settingsResponse = z.object({ webhookCommunications: z.enum(['enabled', 'none']), updatedAt: nullableDateTime });

const notificationRef = z.object({ id: z.string(), webhookId: z.string(), status: z.enum(NOTIFICATION_STATUSES) });

export const eventAccepted = z.object({ id: z.string(), type: z.string(), notifications: z.array(notificationRef) });

export const eventResponse = eventAccepted
  .extend({ data: z.record(z.string(), z.unknown()), version: z.string().nullable().meta({ description: 'the event-type version data was posted in (null: the type has no versions)' }), entityIds: z.array(z.string()), occurredAt: dateTime, createdAt: dateTime, dispatchedAt: nullableDateTime })
  ;

const request = z.object({ method: z.string(), url: z.string(), headers: stringMap, body: z.string() });

export const attemptResponse = z
  .object({
    number: z.number().int(),
    trigger: z.enum(['automatic', 'manual']),
    idempotencyKey: z.string(),
    startedAt: dateTime,
    finishedAt: dateTime,
    durationMs: z.number(),
    statusCode: z.number().int().optional(),
    responseHeaders: stringMap.optional(),
    responseBody: z.string().optional().meta({ description: 'the first 16 KiB' }),
    error: z.object({ kind: z.enum(ATTEMPT_ERROR_KINDS), message: z.string() }).optional(),
  })
  ;

const notificationBase = {
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  webhookId: z.string(),
  webhookName: z.string(),
  status: z.enum(NOTIFICATION_STATUSES),
  attemptCount: z.number().int(),
  nextAttemptAt: nullableDateTime,
  heldReason: z.enum(HOLD_REASONS).nullable().meta({ description: "the round waits for the webhook's circuit breaker or limits (no attempt used)" }),
  createdAt: dateTime,
  updatedAt: dateTime,
  sentAt: nullableDateTime,
  failedAt: nullableDateTime,
  workflowId: z.string(),
};

export const notificationResponse = z
  .object({
    ...notificationBase,
    request: request.nullable().meta({ description: 'the snapshot rendered once at send-out, credentials redacted' }),
    attempts: z.array(attemptResponse),
    warnings: z.array(z.string()),
  })
  ;

export const notificationSummary = z
  .object({ ...notificationBase, request: z.object({ method: z.string(), url: z.string() }).nullable() })
  ;

export const resendAccepted = z.object({ id: z.string(), workflowId: z.string(), status: z.literal('accepted') });

export const bulkResendAccepted = z.object({ matched: z.number().int(), resent: z.number().int(), jobId: z.string().nullable() });

export const bulkResendJob = z
  .object({
    jobId: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    startedAt: dateTime,
    closedAt: nullableDateTime,
    result: z.object({ matched: z.number().int(), resent: z.number().int(), skipped: z.number().int() }).nullable(),
  })
  ;

export const sourceResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    eventType: z.string(),
    basicAuth: z.object({ username: z.string() }).nullable().meta({ description: 'the password is write-only' }),
    directUrl: z.string(),
    createdAt: dateTime,
    updatedAt: dateTime,
  })
  ;

export const variableResponse = z
  .object({ name: z.string(), references: z.object({ user: z.string(), pass: z.string() }), createdAt: dateTime, updatedAt: dateTime })
  ;

export const eventListItem = z.object({
  id: z.string(),
  type: z.string(),
  entityIds: z.array(z.string()),
  data: z.record(z.string(), z.unknown()),
  version: z.string().nullable(),
  occurredAt: dateTime,
  createdAt: dateTime,
  dispatchedAt: nullableDateTime,
  source: z.string().nullable(),
  notificationCount: z.number().int(),
  matched: z.boolean(),
});

export const replayAccepted = z.object({ jobId: z.string().nullable(), events: z.number().int() });

export const replayJob = z.object({
  jobId: z.string(),
  status: z.enum(['running', 'completed', 'failed']),
  startedAt: dateTime,
  closedAt: nullableDateTime,
  result: z.object({ events: z.number().int(), created: z.number().int(), eventsWithNew: z.number().int() }).nullable(),
});

export const retentionResponse = z.object({
  retentionSeconds: z.number().int().meta({ description: 'HERALD_RETENTION' }),
  retention: z.string().meta({ description: 'the same, as written: `30d`' }),
  cutoff: dateTime.meta({ description: 'idle since before this is purged now' }),
  wouldPurge: z.object({ notifications: z.number().int(), events: z.number().int() }).meta({ description: 'a dry run: what a purge would delete now in this account (at least this many when wouldPurgeExact is false)' }),
  wouldPurgeExact: z.boolean().meta({ description: 'false: a count reached wouldPurgeLimit and stopped there, so wouldPurge is a lower bound (the dry run reads at most that many of each, whatever the size of the history)' }),
  wouldPurgeLimit: z.number().int().meta({ description: 'the most documents of each kind the dry run counts' }),
  schedule: z
    .object({ id: z.string(), paused: z.boolean(), nextRunAt: nullableDateTime, lastRunAt: nullableDateTime })
    .nullable()
    .meta({ description: 'the herald-purge schedule; null until a worker has created it' }),
  temporal: z.object({ namespace: z.string(), historyRetentionSeconds: z.number().int().nullable().meta({ description: 'how long the namespace keeps closed workflow histories' }) }),
});

export const purgeAccepted = z.object({ jobId: z.string() });

export const purgeJob = z.object({
  jobId: z.string(),
  status: z.enum(['running', 'completed', 'failed']),
  startedAt: dateTime,
  closedAt: nullableDateTime,
  result: z
    .object({
      cutoff: dateTime,
      retentionSeconds: z.number().int(),
      notifications: z.number().int(),
      events: z.number().int(),
      healthDocs: z.number().int().optional().meta({ description: 'endpoint health records of deleted webhooks removed (absent from purges run by an older worker)' }),
      permits: z.number().int().optional().meta({ description: 'delivery permits (rate, concurrency, probe, report) removed as no longer needed (absent likewise)' }),
    })
    .nullable(),
});

export const inboundAccepted = z.object({ eventId: z.string() });

export const eventTypesResponse = z
  .object({
    data: z.array(
      z.object({
        type: z.string(),
        count: z.number().int(),
        lastSeenAt: nullableDateTime,
        latestEventId: z.string().nullable().meta({ description: 'null: an operational type not seen yet' }),
        dataPaths: z.array(z.string()),
        operational: z.boolean().meta({ description: "one of Herald's own operational event types (herald.*): listed even if never seen; matched only by name, never by \"*\"" }),
        newestVersion: z.string().nullable().meta({ description: 'versioned event types: the newest declared version (types with versions are listed even if not seen); null: not versioned' }),
      }),
    ),
    sampled: z.number().int().meta({ description: 'how many of the newest events were read' }),
  })
  ;

export const webhookStatsResponse = z
  .object({
    since: dateTime,
    data: z.array(
      z.object({
        webhookId: z.string(),
        webhookName: z.string().nullable(),
        deleted: z.boolean(),
        notifications: z.object({ total: z.number().int(), ...Object.fromEntries(NOTIFICATION_STATUSES.map((s) => [s, z.number().int()])) }),
        successRate: z.number().min(0).max(1).nullable().meta({ description: 'sent / (sent + failed); null when none finished' }),
        attempts: z.number().int(),
        avgLatencyMs: z.number().nullable(),
        maxLatencyMs: z.number().nullable(),
      }),
    ),
  })
  ;

const deliveryPoint = {
  attempts: z.number().int(),
  outcomes: z.object(Object.fromEntries(OUTCOMES.map((o) => [o, z.number().int()]))).meta({ description: 'attempts by outcome: success, or the failure kind' }),
  p50Ms: z.number().nullable().meta({ description: 'latency median (ms) of attempts that reached the network; null without any' }),
  p95Ms: z.number().nullable(),
};

export const deliveryStatsResponse = z
  .object({
    window: z.enum(['hour', 'day']),
    webhookId: z.string().nullable(),
    from: dateTime,
    to: dateTime,
    stepSeconds: z.number().int().meta({ description: '60 (window=hour) or 3600 (window=day)' }),
    outcomes: z.array(z.enum(OUTCOMES)),
    total: z.object(deliveryPoint),
    series: z.array(z.object({ at: dateTime.meta({ description: "the bucket's start" }), ...deliveryPoint })),
  })
  ;

export const infoResponse = z
  .object({
    account: z.object({ id: z.string(), name: z.string() }).meta({ description: 'The account this request acted on' }),
    admin: z.boolean().meta({ description: 'An admin key: may manage accounts and name one with Herald-Account' }),
    version: z.string(),
    temporalNamespace: z.string(),
    temporalUiUrl: z.string().nullable(),
    allowPrivateDestinations: z.boolean(),
  })
  ;

export const healthResponse = z.object({ status: z.literal('ok') });
export const readyResponse = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.object({ mongodb: z.boolean(), temporal: z.boolean() }) });

/** `{data, nextCursor}`: every list. */
export const accountResponse = z
  .object({
    id: z.string().regex(/^(default|acc_)/),
    name: z.string(),
    apiVersion: z.string().nullable(),
    webhookCommunications: z.enum(['enabled', 'none']),
    eventsPerSecond: z.number().int().nullable(),
    retentionSeconds: z.number().int().nullable(),
    createdAt: dateTime,
    updatedAt: dateTime,
  })
  .meta({ description: 'An account: one tenant. Its data is visible only to its own keys and to admin keys naming it in `Herald-Account`.' });

export const apiKeyResponse = z.object({ id: z.string().regex(/^key_/), name: z.string().nullable(), prefix: z.string(), createdAt: dateTime });
export const apiKeyCreated = apiKeyResponse.extend({ key: z.string().regex(/^hk_/).meta({ description: 'The key itself: shown this once, stored only hashed.' }) });

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}
