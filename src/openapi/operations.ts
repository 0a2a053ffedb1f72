/**
 * Every operation of the HTTP API, described by the zod schemas the routes validate with (request
 * bodies and query strings) and by src/openapi/responses.ts (answers). document.ts turns this list
 * into OpenAPI 3.1; test/unit/openapi.test.ts checks every example against its schema, and
 * test/integration/openapi.test.ts that every route the app registers is listed here.
 */
import { z } from 'zod';
import { createWebhookSchema, patchWebhookSchema } from '../routes/webhook-schema';
import { previewSchema } from '../routes/webhook-preview';
import { rotateSecretSchema } from '../routes/webhook-secrets';
import { subscriptionListQuery, subscriptionSchema } from '../routes/subscriptions';
import { settingsSchema } from '../routes/settings';
import { eventListQuery, eventSchema, replaySchema } from '../routes/events';
import { bulkResendSchema, notificationFilterSchema, resendOneSchema } from '../routes/notifications';
import { MAX_SCAN } from '../history/notification-list';
import { createSourceSchema, patchSourceSchema } from '../routes/sources';
import { variableListQuery, variableSchema } from '../routes/variables';
import { eventTypesQuery } from '../routes/event-types';
import { deliveryStatsQuery, webhookStatsQuery } from '../routes/stats';
import { pageQuery } from '../http/pagination';
import { createAccountSchema, createKeySchema, patchAccountSchema } from '../routes/accounts';
import * as r from './responses';
import { OPERATIONAL_EVENT_TYPES, OPERATIONAL_EVENTS } from '../operational-events';
import { VERSION_OPERATIONS } from './versions';
import { STREAM_OPERATIONS } from './streams';

export interface Body {
  /** The name under components/schemas. */
  name: string;
  schema: z.ZodType;
  example?: unknown;
}

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI style: `/v1/webhooks/{id}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** false: no API key (probes, inbound direct URLs, this document). */
  auth?: boolean;
  query?: z.ZodObject;
  body?: Body;
  /** Extra request headers worth documenting. */
  headers?: Array<{ name: string; description: string }>;
  responses: Record<number, { description: string; body?: Body; contentType?: string }>;
}

// Shared examples, valid for their schemas (checked by the unit test).
const T = '2026-11-30T10:00:00.000Z';
const webhookExample = {
  id: 'wh_0mk2f9a3b4c5d6e7',
  name: 'Loan disbursed to the CRM',
  enabled: true,
  eventTypes: ['loan.disbursed'],
  condition: { 'data.amount': { $gte: 1000 } },
  targeting: 'opt-out',
  url: 'https://crm.example.com/loans/{{data.loanId}}/events',
  method: 'POST',
  contentType: 'application/json',
  bodyTemplate: '{"loan": "{{data.loanId}}", "amount": {{json data.amount}}}',
  payloadVersion: '2026-11-01',
  apiVersion: 'account',
  headers: { 'X-Tenant': 'acme-bank' },
  auth: { type: 'basic', username: 'crm' },
  idempotencyKey: true,
  signing: { enabled: true },
  retry: { maxAttempts: 12, initialIntervalSeconds: 10, backoffCoefficient: 2, maxIntervalSeconds: 7200 },
  timeoutSeconds: 15,
  rateLimit: { perSecond: 20 },
  maxConcurrency: 10,
  circuitBreaker: null,
  autoDisableAfterSeconds: null,
  disabledReason: null,
  disabledAt: null,
  health: {
    state: 'closed',
    since: null,
    consecutiveFailures: 0,
    failingSince: null,
    nextProbeAt: null,
    thresholds: { failureThreshold: 10, cooldownSeconds: 30, maxCooldownSeconds: 900, autoDisableAfterSeconds: 432000 },
    recent: { windowSeconds: 900, attempts: 42, failures: 0, failureRate: 0 },
  },
  createdAt: T,
  updatedAt: T,
};
const request = {
  method: 'POST',
  url: 'https://crm.example.com/loans/loan-7/events',
  headers: { 'X-Tenant': 'acme-bank', 'content-type': 'application/json', 'user-agent': 'Herald/0.1.0', authorization: 'Basic [redacted]' },
  body: '{"loan": "loan-7", "amount": 2500.5}',
};
const notificationExample = {
  id: 'ntf_0mk2f9c1d2e3f4a5',
  eventId: 'evt_0mk2f9b7c8d9e0f1',
  eventType: 'loan.disbursed',
  webhookId: webhookExample.id,
  webhookName: webhookExample.name,
  status: 'sent',
  request,
  attempts: [
    {
      number: 1,
      trigger: 'automatic',
      idempotencyKey: '6f1c2b7e-8f0a-4f59-9d5e-1c0a7e3b2d41',
      startedAt: T,
      finishedAt: T,
      durationMs: 41,
      statusCode: 503,
      responseHeaders: { 'content-type': 'text/plain' },
      responseBody: 'down for maintenance',
      error: { kind: 'http_status', message: 'HTTP 503' },
    },
    { number: 2, trigger: 'manual', idempotencyKey: '0b9a9a51-2f5e-4d7b-8f0e-2e9f3c4d5a6b', startedAt: T, finishedAt: T, durationMs: 12, statusCode: 200, responseHeaders: {}, responseBody: 'ok' },
  ],
  attemptCount: 2,
  nextAttemptAt: null,
  heldReason: null,
  createdAt: T,
  updatedAt: T,
  sentAt: T,
  failedAt: null,
  workflowId: 'notification-ntf_0mk2f9c1d2e3f4a5',
  warnings: [],
};
const { attempts: _a, warnings: _w, ...summaryBase } = notificationExample;
const sourceExample = {
  id: 'src_0mk2fa0b1c2d3e4f',
  name: 'Core banking',
  eventType: 'loan.disbursed',
  basicAuth: { username: 'core' },
  directUrl: 'http://127.0.0.1:3000/in/src_0mk2fa0b1c2d3e4f/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  createdAt: T,
  updatedAt: T,
};
const eventInput = { type: 'loan.disbursed', entityIds: ['client-1', 'loan-7'], data: { loanId: 'loan-7', client: { id: 'client-1', name: 'Ana' }, amount: 2500.5, currency: 'EUR' } };
const accepted = { id: 'evt_0mk2f9b7c8d9e0f1', type: 'loan.disbursed', notifications: [{ id: notificationExample.id, webhookId: webhookExample.id, status: 'pending' }] };

const err = (description: string) => ({ description, body: { name: 'Error', schema: r.errorResponse } });
const invalid = err('validation failed: every bad field in `error.details`');
const notFound = err('not found');
const forbidden = err('an account key on an admin-only route: `forbidden`');
const accountExample = { id: 'acc_0mk2f9a3b4c5d6e7', name: 'ACME Bank', apiVersion: '8.0.3', webhookCommunications: 'enabled', eventsPerSecond: 200, retentionSeconds: null, createdAt: T, updatedAt: T };

const idPath = (what: string) => `/v1/${what}/{id}`;

export const OPERATIONS: Operation[] = [
  // Probes and the contract itself
  { method: 'get', path: '/healthz', tag: 'Operations', summary: 'The process is up', auth: false, responses: { 200: { description: 'up', body: { name: 'Health', schema: r.healthResponse, example: { status: 'ok' } } } } },
  {
    method: 'get', path: '/readyz', tag: 'Operations', summary: 'MongoDB and Temporal are reachable', auth: false,
    responses: {
      200: { description: 'ready', body: { name: 'Ready', schema: r.readyResponse, example: { status: 'ready', checks: { mongodb: true, temporal: true } } } },
      503: { description: 'not ready', body: { name: 'Ready', schema: r.readyResponse } },
    },
  },
  { method: 'get', path: '/metrics', tag: 'Operations', summary: 'Prometheus metrics', auth: false, responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } } },
  { method: 'get', path: '/openapi.json', tag: 'Operations', summary: 'This document', auth: false, responses: { 200: { description: 'OpenAPI 3.1' } } },
  {
    method: 'get', path: '/v1/info', tag: 'Operations', summary: 'The caller\'s account, version, Temporal namespace and Web UI URL',
    responses: { 200: { description: 'ok', body: { name: 'Info', schema: r.infoResponse, example: { account: { id: 'default', name: 'Default account' }, admin: true, version: '0.1.0', temporalNamespace: 'default', temporalUiUrl: 'http://127.0.0.1:8233', allowPrivateDestinations: false } } } },
  },

  // Webhooks
  {
    method: 'post', path: '/v1/webhooks', tag: 'Webhooks', summary: 'Create a webhook',
    body: {
      name: 'WebhookCreate', schema: createWebhookSchema,
      example: { name: 'Loan disbursed to the CRM', eventTypes: ['loan.disbursed'], url: 'https://crm.example.com/loans/{{data.loanId}}/events', headers: { 'X-Tenant': 'acme-bank' }, bodyTemplate: '{"loan": "{{data.loanId}}", "amount": {{json data.amount}}}' },
    },
    responses: { 201: { description: 'created; `warnings` lists ignored reserved headers', body: { name: 'WebhookWithWarnings', schema: r.webhookWithWarnings, example: { ...webhookExample, warnings: [] } } }, 400: invalid },
  },
  {
    method: 'get', path: '/v1/webhooks', tag: 'Webhooks', summary: 'List webhooks (newest first)', query: pageQuery,
    responses: { 200: { description: 'a page', body: { name: 'WebhookList', schema: r.listOf(r.webhookResponse), example: { data: [webhookExample], nextCursor: null } } } },
  },
  { method: 'get', path: idPath('webhooks'), tag: 'Webhooks', summary: 'Read a webhook', responses: { 200: { description: 'ok', body: { name: 'Webhook', schema: r.webhookResponse, example: webhookExample } }, 404: notFound } },
  {
    method: 'patch', path: idPath('webhooks'), tag: 'Webhooks', summary: 'Change a webhook (any subset of fields; the whole result is validated)',
    body: { name: 'WebhookPatch', schema: patchWebhookSchema, example: { enabled: false, retry: { maxAttempts: 5 } } },
    responses: { 200: { description: 'changed', body: { name: 'WebhookWithWarnings', schema: r.webhookWithWarnings } }, 400: invalid, 404: notFound },
  },
  { method: 'delete', path: idPath('webhooks'), tag: 'Webhooks', summary: 'Delete a webhook', responses: { 204: { description: 'deleted' }, 404: notFound } },
  {
    method: 'post', path: '/v1/webhooks/{id}/preview', tag: 'Webhooks', summary: 'Render the request an event would produce; sends nothing',
    body: { name: 'PreviewRequest', schema: previewSchema, example: { event: eventInput, version: '8.0.3' } },
    responses: {
      200: { description: 'the rendered request', body: { name: 'Preview', schema: r.previewResponse, example: { ...request, warnings: [] } } },
      400: invalid, 404: notFound, 422: err('the stored templates do not render for this event'),
    },
  },
  {
    method: 'get', path: '/v1/webhooks/{id}/secret', tag: 'Webhooks', summary: 'The signing secret (Standard Webhooks)',
    responses: { 200: { description: 'ok', body: { name: 'SigningSecret', schema: r.secretResponse, example: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', previousSecretExpiresAt: null } } }, 404: notFound },
  },
  {
    method: 'post', path: '/v1/webhooks/{id}/secret/rotate', tag: 'Webhooks', summary: 'Rotate the signing secret (the old one keeps signing for 24 h)',
    body: { name: 'SecretRotate', schema: rotateSecretSchema, example: {} },
    responses: { 200: { description: 'the new secret', body: { name: 'SigningSecret', schema: r.secretResponse } }, 400: invalid, 404: notFound, 409: err('rotated concurrently') },
  },
  {
    method: 'get', path: '/v1/webhooks/{id}/subscriptions', tag: 'Webhooks', summary: 'Per-entity switches (by entity id)', query: subscriptionListQuery,
    responses: { 200: { description: 'a page', body: { name: 'SubscriptionList', schema: r.listOf(r.subscriptionResponse), example: { data: [{ webhookId: webhookExample.id, entityId: 'client-1', enabled: true, createdAt: T, updatedAt: T }], nextCursor: null } } }, 404: notFound },
  },
  {
    method: 'put', path: '/v1/webhooks/{id}/subscriptions/{entityId}', tag: 'Webhooks', summary: 'Switch an entity on or off',
    body: { name: 'SubscriptionPut', schema: subscriptionSchema, example: { enabled: true } },
    responses: { 200: { description: 'the switch', body: { name: 'Subscription', schema: r.subscriptionResponse } }, 400: invalid, 404: notFound },
  },
  { method: 'get', path: '/v1/webhooks/{id}/subscriptions/{entityId}', tag: 'Webhooks', summary: 'One switch', responses: { 200: { description: 'the switch', body: { name: 'Subscription', schema: r.subscriptionResponse } }, 404: notFound } },
  { method: 'delete', path: '/v1/webhooks/{id}/subscriptions/{entityId}', tag: 'Webhooks', summary: 'Remove a switch (back to the default)', responses: { 204: { description: 'removed' }, 404: notFound } },
  {
    method: 'get', path: '/v1/stats/webhooks', tag: 'Webhooks', summary: 'Per-webhook notifications by status, success rate and attempt latency', query: webhookStatsQuery,
    description: 'Over notifications created since `since` (default: the last 24 hours), read from the delivery rollups (not the history). Counts are per minute; hours two hours old or more count whole when half of them is in the window. Attempts and latency are of attempts finished in the window.',
    responses: {
      200: {
        description: 'ok',
        body: {
          name: 'WebhookStats', schema: r.webhookStatsResponse,
          example: { since: T, data: [{ webhookId: webhookExample.id, webhookName: webhookExample.name, deleted: false, notifications: { total: 10, pending: 0, retrying: 1, sent: 8, failed: 1, cancelled: 0 }, successRate: 8 / 9, attempts: 14, avgLatencyMs: 87, maxLatencyMs: 1203 }] },
        },
      },
      400: invalid,
    },
  },
  {
    method: 'get', path: '/v1/stats/deliveries', tag: 'Webhooks', summary: 'Deliveries by outcome and latency p50/p95 over time (the console charts)', query: deliveryStatsQuery,
    description: 'The account or one webhook: `window=hour` is the last 60 minutes per minute, `window=day` the last 24 hours per hour (buckets aligned to the minute or hour, the last one still filling). Latency percentiles come from a fixed-bucket histogram (interpolated within a bucket); blocked and configuration failures count as attempts but have no latency.',
    responses: {
      200: {
        description: 'ok',
        body: {
          name: 'DeliveryStats', schema: r.deliveryStatsResponse,
          example: {
            window: 'hour', webhookId: webhookExample.id, from: '2026-11-30T09:01:00.000Z', to: '2026-11-30T10:01:00.000Z', stepSeconds: 60,
            outcomes: ['success', 'http_status', 'timeout', 'connection', 'tls', 'blocked', 'configuration'],
            total: { attempts: 3, outcomes: { success: 2, http_status: 1, timeout: 0, connection: 0, tls: 0, blocked: 0, configuration: 0 }, p50Ms: 84, p95Ms: 210 },
            series: [{ at: '2026-11-30T09:01:00.000Z', attempts: 3, outcomes: { success: 2, http_status: 1, timeout: 0, connection: 0, tls: 0, blocked: 0, configuration: 0 }, p50Ms: 84, p95Ms: 210 }],
          },
        },
      },
      400: invalid,
      404: notFound,
    },
  },

  // Settings
  { method: 'get', path: '/v1/settings', tag: 'Settings', summary: 'Instance settings', responses: { 200: { description: 'ok', body: { name: 'Settings', schema: r.settingsResponse, example: { webhookCommunications: 'enabled', updatedAt: null } } } } },
  {
    method: 'put', path: '/v1/settings', tag: 'Settings', summary: 'Replace the settings (the Webhook Communications switch)',
    body: { name: 'SettingsPut', schema: settingsSchema, example: { webhookCommunications: 'none' } },
    responses: { 200: { description: 'the settings', body: { name: 'Settings', schema: r.settingsResponse } }, 400: invalid },
  },

  // Events
  {
    method: 'post', path: '/v1/events', tag: 'Events', summary: 'Accept an event: one notification per matching webhook',
    description: `A \`type\` starting with \`herald.\` is refused (400): that namespace is Herald's own operational events (${OPERATIONAL_EVENT_TYPES.join(', ')}).`,
    headers: [{ name: 'Idempotency-Key', description: 'a repeat returns the first result (200) and creates nothing' }],
    body: { name: 'EventCreate', schema: eventSchema, example: eventInput },
    responses: {
      202: { description: 'accepted', body: { name: 'EventAccepted', schema: r.eventAccepted, example: accepted } },
      200: { description: 'a duplicate: the first result', body: { name: 'EventAccepted', schema: r.eventAccepted } },
      400: invalid,
    },
  },
  {
    method: 'get', path: idPath('events'), tag: 'Events', summary: 'An event and its notifications',
    responses: { 200: { description: 'ok', body: { name: 'Event', schema: r.eventResponse, example: { ...accepted, data: eventInput.data, version: null, entityIds: eventInput.entityIds, occurredAt: T, createdAt: T, dispatchedAt: T } } }, 404: notFound },
  },
  {
    method: 'get', path: '/v1/events', tag: 'Events', summary: 'Stored events, newest first (`matched=false`: created no notification)', query: eventListQuery,
    responses: { 200: { description: 'a page', body: { name: 'EventList', schema: r.listOf(r.eventListItem) } }, 400: invalid },
  },
  {
    method: 'post', path: '/v1/events/replay', tag: 'Events', summary: 'Replay the fan-out of every stored event matching a filter (a job)',
    body: { name: 'ReplayFilter', schema: replaySchema, example: { matched: false, since: T } },
    responses: { 202: { description: 'the job started', body: { name: 'ReplayAccepted', schema: r.replayAccepted, example: { jobId: 'job_0mk2fb1c2d3e4f5a', events: 12 } } }, 400: invalid, 409: err('communications are "none"'), 503: err('Temporal unreachable') },
  },
  {
    method: 'post', path: '/v1/events/{id}/replay', tag: 'Events', summary: "Replay one event's fan-out against the current webhooks (a job)",
    responses: { 202: { description: 'the job started', body: { name: 'ReplayAccepted', schema: r.replayAccepted } }, 404: notFound, 409: err('communications are "none"'), 503: err('Temporal unreachable') },
  },
  {
    method: 'get', path: '/v1/events/replay/{jobId}', tag: 'Events', summary: 'A replay job: progress and result',
    responses: { 200: { description: 'ok', body: { name: 'ReplayJob', schema: r.replayJob, example: { jobId: 'job_0mk2fb1c2d3e4f5a', status: 'completed', startedAt: T, closedAt: T, result: { events: 12, created: 9, eventsWithNew: 9 } } } }, 404: notFound },
  },
  {
    method: 'get', path: '/v1/event-types', tag: 'Events', summary: 'Event types seen and their data paths (from the newest events)', query: eventTypesQuery,
    description: `Herald's operational event types are always listed (\`operational: true\`), seen or not: ${OPERATIONAL_EVENT_TYPES.map((t) => `\`${t}\` (${OPERATIONAL_EVENTS[t].description})`).join('; ')}. A webhook receives them only by listing them by name: \`"*"\` does not match them.`,
    responses: {
      200: {
        description: 'ok',
        body: {
          name: 'EventTypes',
          schema: r.eventTypesResponse,
          example: {
            data: [
              { type: 'loan.disbursed', count: 3, lastSeenAt: T, latestEventId: 'evt_0mk2f9b7c8d9e0f1', dataPaths: ['amount', 'client', 'client.id', 'client.name', 'currency', 'loanId'], operational: false, newestVersion: '9.0.0' },
              { type: 'herald.notification.failed', count: 0, lastSeenAt: null, latestEventId: null, dataPaths: ['attempts', 'eventId', 'eventType', 'lastAttempt', 'lastAttempt.errorKind', 'lastAttempt.finishedAt', 'lastAttempt.statusCode', 'notificationId', 'webhookId', 'webhookName'], operational: true, newestVersion: null },
            ],
            sampled: 3,
          },
        },
      },
      400: invalid,
    },
  },

  // Operations: retention
  {
    method: 'get', path: '/v1/retention', tag: 'Operations', summary: 'The retention, what a purge would delete now (dry run), the purge schedule',
    responses: {
      200: {
        description: 'ok',
        body: {
          name: 'Retention', schema: r.retentionResponse,
          example: { retentionSeconds: 2592000, retention: '30d', cutoff: T, wouldPurge: { notifications: 1200, events: 400 }, wouldPurgeExact: true, wouldPurgeLimit: 1000, schedule: { id: 'herald-purge', paused: false, nextRunAt: T, lastRunAt: T }, temporal: { namespace: 'default', historyRetentionSeconds: 2592000 } },
        },
      },
      503: err('Temporal unreachable'),
    },
  },
  {
    method: 'post', path: '/v1/retention/purge', tag: 'Operations', summary: 'Purge now what is past the retention (a job; the schedule does it hourly)',
    responses: { 202: { description: 'the job started', body: { name: 'PurgeAccepted', schema: r.purgeAccepted, example: { jobId: 'job_0mk2fb1c2d3e4f5a' } } }, 400: invalid, 503: err('Temporal unreachable') },
  },
  {
    method: 'get', path: '/v1/retention/purge/{jobId}', tag: 'Operations', summary: 'A purge job: progress and result',
    responses: {
      200: { description: 'ok', body: { name: 'PurgeJob', schema: r.purgeJob, example: { jobId: 'job_0mk2fb1c2d3e4f5a', status: 'completed', startedAt: T, closedAt: T, result: { cutoff: T, retentionSeconds: 2592000, notifications: 1200, events: 400, healthDocs: 2, permits: 57 } } } },
      404: notFound,
    },
  },

  // Notifications
  {
    method: 'get', path: '/v1/notifications', tag: 'Notifications', summary: 'The communication history (newest first)', query: notificationFilterSchema.extend(pageQuery.shape),
    description:
      `Each filter alone, and webhookId with status, is served by one index: full pages at any history size. since, until and cursor combine with all of them. ` +
      `Other combinations are read from the index of their most selective filter, at most ${MAX_SCAN} notifications a page: a page may then hold fewer than limit (even none) with a nextCursor: keep paging. ` +
      'A cursor works only with the filter it was made for (another filter: 400 on cursor).',
    responses: { 200: { description: 'a page', body: { name: 'NotificationList', schema: r.listOf(r.notificationSummary), example: { data: [{ ...summaryBase, request: { method: request.method, url: request.url } }], nextCursor: null } } }, 400: invalid },
  },
  { method: 'get', path: idPath('notifications'), tag: 'Notifications', summary: 'A notification: the exact request and every attempt', responses: { 200: { description: 'ok', body: { name: 'Notification', schema: r.notificationResponse, example: notificationExample } }, 404: notFound } },
  {
    method: 'post', path: '/v1/notifications/{id}/resend', tag: 'Notifications', summary: 'Resend the stored request once, with a new idempotency key',
    body: { name: 'ResendOne', schema: resendOneSchema, example: { reason: 'receiver fixed' } },
    responses: {
      202: { description: 'accepted', body: { name: 'ResendAccepted', schema: r.resendAccepted, example: { id: notificationExample.id, workflowId: notificationExample.workflowId, status: 'accepted' } } },
      400: invalid, 404: notFound, 409: err('nothing to resend (the template failed to render)'), 503: err('Temporal unreachable'),
    },
  },
  {
    method: 'post', path: '/v1/notifications/resend', tag: 'Notifications', summary: 'Resend every notification matching a filter (a job)',
    body: { name: 'BulkResend', schema: bulkResendSchema, example: { status: 'failed', webhookId: webhookExample.id, since: T } },
    responses: {
      202: { description: 'the job started', body: { name: 'BulkResendAccepted', schema: r.bulkResendAccepted, example: { matched: 5, resent: 5, jobId: 'job_0mk2fb1c2d3e4f5a' } } },
      400: invalid, 503: err('Temporal unreachable'),
    },
  },
  {
    method: 'get', path: '/v1/notifications/resend/{jobId}', tag: 'Notifications', summary: 'A bulk resend job: progress and result',
    responses: {
      200: { description: 'ok', body: { name: 'BulkResendJob', schema: r.bulkResendJob, example: { jobId: 'job_0mk2fb1c2d3e4f5a', status: 'completed', startedAt: T, closedAt: T, result: { matched: 5, resent: 5, skipped: 0 } } } },
      404: notFound,
    },
  },

  // Inbound sources
  {
    method: 'post', path: '/v1/sources', tag: 'Sources', summary: 'Create an inbound source (returns its direct URL)',
    body: { name: 'SourceCreate', schema: createSourceSchema, example: { name: 'Core banking', eventType: 'loan.disbursed', basicAuth: { username: 'core', password: '{{env_var[@core].pass}}' } } },
    responses: { 201: { description: 'created', body: { name: 'Source', schema: r.sourceResponse, example: sourceExample } }, 400: invalid },
  },
  { method: 'get', path: '/v1/sources', tag: 'Sources', summary: 'List sources', query: pageQuery, responses: { 200: { description: 'a page', body: { name: 'SourceList', schema: r.listOf(r.sourceResponse), example: { data: [sourceExample], nextCursor: null } } } } },
  { method: 'get', path: idPath('sources'), tag: 'Sources', summary: 'Read a source', responses: { 200: { description: 'ok', body: { name: 'Source', schema: r.sourceResponse } }, 404: notFound } },
  {
    method: 'patch', path: idPath('sources'), tag: 'Sources', summary: 'Change a source (`basicAuth: null` switches auth off)',
    body: { name: 'SourcePatch', schema: patchSourceSchema, example: { basicAuth: null } },
    responses: { 200: { description: 'changed', body: { name: 'Source', schema: r.sourceResponse } }, 400: invalid, 404: notFound },
  },
  { method: 'delete', path: idPath('sources'), tag: 'Sources', summary: 'Delete a source', responses: { 204: { description: 'deleted' }, 404: notFound } },
  {
    method: 'post', path: '/in/{sourceId}/{signature}', tag: 'Sources', summary: 'Inbound direct URL: the JSON body becomes an event', auth: false,
    description: "No API key: the signed URL is the credential, optionally with basic auth. A wrong signature is a 404. A source whose `eventType` is in Herald's reserved `herald.` namespace (saved before the rule) gets a 400.",
    headers: [{ name: 'Idempotency-Key', description: 'or `webhook-id`: a repeat returns the first result' }],
    body: { name: 'InboundBody', schema: z.record(z.string(), z.unknown()), example: { loanId: 'loan-7', amount: 2500.5 } },
    responses: {
      202: { description: 'accepted', body: { name: 'InboundAccepted', schema: r.inboundAccepted, example: { eventId: 'evt_0mk2f9b7c8d9e0f1' } } },
      200: { description: 'a duplicate: the first result', body: { name: 'InboundAccepted', schema: r.inboundAccepted } },
      400: invalid, 401: err('basic auth on and missing or wrong: `access_denied`'), 404: notFound,
    },
  },

  // Variables
  {
    method: 'get', path: '/v1/variables', tag: 'Variables', summary: 'List variables (names only, never values)', query: variableListQuery,
    responses: { 200: { description: 'a page', body: { name: 'VariableList', schema: r.listOf(r.variableResponse), example: { data: [{ name: 'core', references: { user: '{{env_var[@core].user}}', pass: '{{env_var[@core].pass}}' }, createdAt: T, updatedAt: T }], nextCursor: null } } }, 400: invalid },
  },
  {
    method: 'put', path: '/v1/variables/{name}', tag: 'Variables', summary: 'Create or replace a variable (write-only)',
    body: { name: 'VariablePut', schema: variableSchema, example: { user: 'core', pass: 's3cret-pass' } },
    responses: { 200: { description: 'replaced', body: { name: 'Variable', schema: r.variableResponse } }, 201: { description: 'created', body: { name: 'Variable', schema: r.variableResponse } }, 400: invalid },
  },
  { method: 'get', path: '/v1/variables/{name}', tag: 'Variables', summary: 'Read a variable (name and dates only)', responses: { 200: { description: 'ok', body: { name: 'Variable', schema: r.variableResponse } }, 400: invalid, 404: notFound } },
  { method: 'delete', path: '/v1/variables/{name}', tag: 'Variables', summary: 'Delete a variable', responses: { 204: { description: 'deleted' }, 400: invalid, 404: notFound } },

  // Accounts (admin keys only: an account key gets 403)
  {
    method: 'post', path: '/v1/accounts', tag: 'Accounts', summary: 'Create an account (a tenant)',
    body: { name: 'AccountCreate', schema: createAccountSchema, example: { name: 'ACME Bank', eventsPerSecond: 200 } },
    responses: { 201: { description: 'created', body: { name: 'Account', schema: r.accountResponse, example: accountExample } }, 400: invalid, 403: forbidden },
  },
  { method: 'get', path: '/v1/accounts', tag: 'Accounts', summary: 'List accounts (newest first; `default` last)', query: pageQuery, responses: { 200: { description: 'a page', body: { name: 'AccountList', schema: r.listOf(r.accountResponse) } }, 400: invalid, 403: forbidden } },
  { method: 'get', path: '/v1/accounts/{id}', tag: 'Accounts', summary: 'Read an account', responses: { 200: { description: 'ok', body: { name: 'Account', schema: r.accountResponse } }, 403: forbidden, 404: notFound } },
  {
    method: 'patch', path: '/v1/accounts/{id}', tag: 'Accounts', summary: 'Change an account: name, API version pin, switch, limits, retention',
    body: { name: 'AccountPatch', schema: patchAccountSchema, example: { apiVersion: '9.0.0', retentionSeconds: 7776000 } },
    responses: { 200: { description: 'the account', body: { name: 'Account', schema: r.accountResponse } }, 400: invalid, 403: forbidden, 404: notFound },
  },
  { method: 'delete', path: '/v1/accounts/{id}', tag: 'Accounts', summary: 'Delete an account: its traffic stops, its keys are revoked, its history stays for retention', responses: { 204: { description: 'deleted' }, 403: forbidden, 404: notFound, 409: err('the account `default` cannot be deleted') } },
  {
    method: 'post', path: '/v1/accounts/{id}/keys', tag: 'Accounts', summary: 'Create an API key for the account (the key is shown once)',
    body: { name: 'ApiKeyCreate', schema: createKeySchema, example: { name: 'production' } },
    responses: { 201: { description: 'created', body: { name: 'ApiKeyCreated', schema: r.apiKeyCreated, example: { id: 'key_0mk2f9a3b4c5d6e7', name: 'production', prefix: 'hk_Zx81pQa', key: 'hk_Zx81pQa0vN3kLw9mB2cR7tY5uE1iO4pA6sD8fG0hJ3k', createdAt: T } } }, 400: invalid, 403: forbidden, 404: notFound },
  },
  { method: 'get', path: '/v1/accounts/{id}/keys', tag: 'Accounts', summary: "List the account's live keys (never the keys themselves)", query: pageQuery, responses: { 200: { description: 'a page', body: { name: 'ApiKeyList', schema: r.listOf(r.apiKeyResponse) } }, 400: invalid, 403: forbidden, 404: notFound } },
  { method: 'delete', path: '/v1/accounts/{id}/keys/{keyId}', tag: 'Accounts', summary: 'Revoke a key: refused (401) by every API process within a second', responses: { 204: { description: 'revoked' }, 403: forbidden, 404: notFound } },
  // Versioned event types (src/openapi/versions.ts)
  ...VERSION_OPERATIONS,
  // The Streaming API (src/openapi/streams.ts)
  ...STREAM_OPERATIONS,
];
