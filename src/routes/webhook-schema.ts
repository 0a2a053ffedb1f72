/**
 * The webhook resource as the API accepts it. zod checks shapes and ranges; the template, URL and
 * condition rules (which need Handlebars and sift) run after, and all problems are reported at
 * once. PATCH merges into the stored webhook and re-validates the whole result.
 */
import { z } from 'zod';
import type { ValidationIssue } from '../errors';
import { validateUrlTemplate } from '../render/url-template';
import { validateBodyTemplate } from '../render/body-template';
import { validateCondition } from '../matching/condition';
import { isKnownPayloadVersion } from '../render/envelopes';
import { RETRY_DEFAULTS } from '../models/webhook';
import { apiVersionSetting } from '../versions/api-version-setting';

/** Headers Herald sets itself: a static header with one of these names is ignored, with a warning. */
export const RESERVED_HEADERS = [
  'host',
  'content-length',
  'content-type',
  'authorization',
  'transfer-encoding',
  'connection',
  'user-agent',
  'x-notifications-idempotency-key',
  'herald-event-version',
];

export function isReservedHeader(name: string): boolean {
  const n = name.toLowerCase();
  return RESERVED_HEADERS.includes(n) || n.startsWith('webhook-');
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, Latin-1 and tabs (RFC 9110 field-value), no CR, LF, NUL or other controls.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const credential = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');

export const authSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('basic'), username: credential, password: credential }).strict(),
]);

export const retrySchema = z
  .object({
    maxAttempts: z.number().int('must be a whole number').min(1, 'must be at least 1').max(50, 'must be at most 50'),
    initialIntervalSeconds: z.number().min(1, 'must be at least 1').max(86400, 'must be at most 86400'),
    backoffCoefficient: z.number().min(1, 'must be at least 1').max(10, 'must be at most 10'),
    maxIntervalSeconds: z.number().min(1, 'must be at least 1').max(7 * 86400, 'must be at most 604800'),
  })
  .strict();

export const webhookFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  enabled: z.boolean(),
  eventTypes: z
    .array(z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'))
    .min(1, 'must list at least one event type (or "*")')
    .max(100, 'must list at most 100 event types'),
  condition: z.record(z.string(), z.unknown()).nullable(),
  targeting: z.enum(['opt-out', 'opt-in'], { message: 'must be "opt-out" or "opt-in"' }),
  url: z.string().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters'),
  method: z.enum(['POST', 'PUT', 'PATCH'], { message: 'must be POST, PUT or PATCH' }),
  contentType: z.enum(['application/json', 'application/xml', 'text/plain'], {
    message: 'must be application/json, application/xml or text/plain',
  }),
  bodyTemplate: z.string().max(65536, 'must be at most 65536 characters').nullable(),
  payloadVersion: z.string().refine(isKnownPayloadVersion, 'must be "latest" or a known payload version'),
  apiVersion: apiVersionSetting,
  headers: z
    .record(
      // Names are checked below: zod 4 reports a bad record key only as "Invalid key in record".
      z.string(),
      // CR/LF would split the header (undici refuses it at send time); reject it at save instead.
      z.string().max(4096, 'must be at most 4096 characters').regex(HEADER_VALUE, 'must not contain line breaks or control characters'),
    )
    .refine((h) => Object.keys(h).length <= 50, 'must have at most 50 headers')
    .check((ctx) => {
      // HTTP header names are case-insensitive: `X-Tenant` and `x-tenant` would be one header sent twice.
      const seen = new Set<string>();
      for (const name of Object.keys(ctx.value)) {
        if (!HEADER_NAME.test(name)) {
          ctx.issues.push({ code: 'custom', input: name, path: [name], message: 'must be a valid header name (letters, digits and !#$%&\'*+.^_`|~-)' });
        } else if (name.includes('.') || name.startsWith('$')) {
          // Valid in HTTP, but headers are stored as document keys, which cannot hold these.
          ctx.issues.push({ code: 'custom', input: name, path: [name], message: 'must not contain "." or start with "$"' });
        }
        const lower = name.toLowerCase();
        if (seen.has(lower)) ctx.issues.push({ code: 'custom', input: name, path: [name], message: 'is given twice (header names are case-insensitive)' });
        seen.add(lower);
      }
    }),
  auth: authSchema,
  idempotencyKey: z.boolean(),
  signing: z.object({ enabled: z.boolean() }).strict(),
  retry: retrySchema,
  timeoutSeconds: z.number().int('must be a whole number').min(1, 'must be at least 1').max(60, 'must be at most 60'),
  rateLimit: z
    .union(
      [
        z.object({ perSecond: z.number().int('must be a whole number').min(1, 'must be at least 1').max(10000, 'must be at most 10000') }).strict(),
        z.object({ perMinute: z.number().int('must be a whole number').min(1, 'must be at least 1').max(600000, 'must be at most 600000') }).strict(),
      ],
      { message: 'must be {"perSecond": N} or {"perMinute": N}' },
    )
    .nullable(),
  maxConcurrency: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').nullable(),
  circuitBreaker: z
    .object({
      failureThreshold: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
      cooldownSeconds: z.number().int('must be a whole number').min(1, 'must be at least 1').max(86400, 'must be at most 86400').optional(),
    })
    .strict()
    .nullable(),
  autoDisableAfterSeconds: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be 0 (never) or more')
    .max(365 * 86400, 'must be at most 31536000')
    .nullable(),
};

export const createWebhookSchema = z
  .object({
    ...webhookFields,
    enabled: webhookFields.enabled.default(true),
    condition: webhookFields.condition.default(null),
    targeting: webhookFields.targeting.default('opt-out'),
    method: webhookFields.method.default('POST'),
    contentType: webhookFields.contentType.default('application/json'),
    bodyTemplate: webhookFields.bodyTemplate.default(null),
    payloadVersion: webhookFields.payloadVersion.optional(),
    apiVersion: webhookFields.apiVersion.default('account'),
    headers: webhookFields.headers.default({}),
    auth: webhookFields.auth.default({ type: 'none' }),
    idempotencyKey: webhookFields.idempotencyKey.default(true),
    signing: webhookFields.signing.default({ enabled: true }),
    retry: retrySchema.partial().default({}).transform((r) => ({ ...RETRY_DEFAULTS, ...r })),
    timeoutSeconds: webhookFields.timeoutSeconds.default(15),
    rateLimit: webhookFields.rateLimit.default(null),
    maxConcurrency: webhookFields.maxConcurrency.default(null),
    circuitBreaker: webhookFields.circuitBreaker.default(null),
    autoDisableAfterSeconds: webhookFields.autoDisableAfterSeconds.default(null),
  })
  .strict();

export const patchWebhookSchema = z
  .object({
    ...webhookFields,
    retry: retrySchema.partial(),
  })
  .partial()
  .strict();

export type CreateWebhookInput = z.output<typeof createWebhookSchema>;
export type PatchWebhookInput = z.output<typeof patchWebhookSchema>;

/** The fields whose rules depend on each other or need more than zod. */
export interface RuleFields {
  url: string;
  bodyTemplate: string | null;
  contentType: string;
  condition: unknown;
  retry: { maxAttempts: number; initialIntervalSeconds: number; backoffCoefficient: number; maxIntervalSeconds: number };
}

type Stored<T> = { [K in keyof T]?: T[K] | null };

/**
 * The rule fields after a PATCH, so the whole result is re-validated: switching `contentType` to
 * XML must fail for a webhook whose template is JSON, even though the patch itself is fine.
 */
export function mergeRuleFields(
  current: { url: string; bodyTemplate?: string | null; contentType?: string | null; condition?: unknown; retry?: Stored<RuleFields['retry']> | null },
  patch: PatchWebhookInput,
): RuleFields {
  const storedRetry = Object.fromEntries(Object.entries(current.retry ?? {}).filter(([, v]) => typeof v === 'number'));
  return {
    url: patch.url ?? current.url,
    bodyTemplate: patch.bodyTemplate !== undefined ? patch.bodyTemplate : (current.bodyTemplate ?? null),
    contentType: patch.contentType ?? current.contentType ?? 'application/json',
    condition: patch.condition !== undefined ? patch.condition : (current.condition ?? null),
    retry: { ...RETRY_DEFAULTS, ...storedRetry, ...patch.retry },
  };
}

/** Rules beyond shape: URL and body templates, the condition, retry coherence. */
export function validateWebhookRules(w: Pick<RuleFields, 'url' | 'bodyTemplate' | 'contentType' | 'condition'> & { retry: { initialIntervalSeconds: number; maxIntervalSeconds: number } }): ValidationIssue[] {
  const issues = [
    ...validateUrlTemplate(w.url),
    // Also for null: the default envelope is JSON, so XML and text webhooks need a template.
    ...validateBodyTemplate(w.bodyTemplate, w.contentType),
    ...validateCondition(w.condition),
  ];
  if (w.retry.maxIntervalSeconds < w.retry.initialIntervalSeconds) {
    issues.push({ path: 'retry.maxIntervalSeconds', message: 'must not be less than retry.initialIntervalSeconds' });
  }
  return issues;
}

/**
 * Splits static headers into the kept ones, the warnings for reserved names, and a static
 * `Authorization` header (token auth), which is not reserved when `auth` is none: it is taken out
 * of the headers, to be stored sealed (see webhooks.ts).
 */
export function splitHeaders(headers: Record<string, string>): {
  headers: Record<string, string>;
  warnings: string[];
  authorization?: { name: string; value: string };
} {
  const kept: Record<string, string> = {};
  const warnings: string[] = [];
  let authorization: { name: string; value: string } | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization') authorization = { name, value };
    else if (isReservedHeader(name)) warnings.push(`headers.${name}: "${name}" is a reserved header set by Herald; it was ignored`);
    else kept[name] = value;
  }
  return { headers: kept, warnings, authorization };
}

/** A static Authorization header goes with auth type none only: two credentials would be ambiguous. */
export function authorizationIssues(headers: Record<string, string> | undefined, authType: string | undefined): ValidationIssue[] {
  const name = Object.keys(headers ?? {}).find((n) => n.toLowerCase() === 'authorization');
  if (!name) return [];
  const issues: ValidationIssue[] = [];
  if (authType === 'basic') {
    issues.push({ path: `headers.${name}`, message: 'cannot be combined with auth type "basic": use either basic auth or a static Authorization header (with auth type "none")' });
  }
  if (!headers![name].trim()) issues.push({ path: `headers.${name}`, message: 'must not be empty' });
  return issues;
}
