/**
 * A webhook: what to send, when, and to whom. Secrets (auth password, signing secrets) are stored
 * sealed (see src/crypto/secrets.ts) and never leave through the API. Deleting a webhook is soft
 * (`deletedAt`) so its notifications keep their name and their resends can still sign.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';
import { bumpsConfigVersion } from './config-version';

export const RETRY_DEFAULTS = Object.freeze({
  maxAttempts: 12,
  initialIntervalSeconds: 10,
  backoffCoefficient: 2,
  maxIntervalSeconds: 7200,
});

const retrySchema = new Schema(
  {
    maxAttempts: { type: Number, default: RETRY_DEFAULTS.maxAttempts },
    initialIntervalSeconds: { type: Number, default: RETRY_DEFAULTS.initialIntervalSeconds },
    backoffCoefficient: { type: Number, default: RETRY_DEFAULTS.backoffCoefficient },
    maxIntervalSeconds: { type: Number, default: RETRY_DEFAULTS.maxIntervalSeconds },
  },
  { _id: false },
);

export const webhookSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    enabled: { type: Boolean, default: true },
    eventTypes: { type: [String], required: true },
    /** JSON text: FerretDB refuses `$` operators and dotted paths as stored keys. Read with webhookCondition(). */
    conditionJson: { type: String, default: null },
    targeting: { type: String, enum: ['opt-in', 'opt-out'], default: 'opt-out' },
    url: { type: String, required: true },
    method: { type: String, enum: ['POST', 'PUT', 'PATCH'], default: 'POST' },
    contentType: { type: String, enum: ['application/json', 'application/xml', 'text/plain'], default: 'application/json' },
    bodyTemplate: { type: String, default: null },
    payloadVersion: { type: String, required: true },
    /** Which version of a versioned event type's data it receives: "account" (its account's pin), "latest", or a semver. */
    apiVersion: { type: String, default: 'account' },
    headers: { type: Schema.Types.Mixed, default: {} },
    auth: {
      type: { type: String, enum: ['none', 'basic'], default: 'none' },
      username: { type: String, default: null },
      /** Sealed, or a `{{env_var[@name].pass}}` reference resolved at send time. */
      password: { type: String, default: null },
    },
    /**
     * A static `Authorization` header (token auth; only with auth type none): `value` sealed,
     * `display` what every view and the snapshot show (`Bearer [redacted]`). Filled in at send time.
     */
    authorizationHeader: {
      display: { type: String, default: null },
      value: { type: String, default: null },
    },
    idempotencyKey: { type: Boolean, default: true },
    signing: {
      enabled: { type: Boolean, default: true },
      /** Sealed `whsec_...`. */
      secret: { type: String, default: null },
      /** The secret before the last rotation, sealed, signing alongside until previousExpiresAt. */
      previousSecret: { type: String, default: null },
      previousExpiresAt: { type: Date, default: null },
    },
    retry: { type: retrySchema, default: () => ({}) },
    timeoutSeconds: { type: Number, default: 15 },
    /** At most this many attempts started per second or per minute, across all workers (null: no limit). */
    rateLimit: {
      type: new Schema({ perSecond: { type: Number, default: null }, perMinute: { type: Number, default: null } }, { _id: false }),
      default: null,
    },
    /** At most this many attempts in flight at once, across all workers (null: no limit). */
    maxConcurrency: { type: Number, default: null },
    /** Overrides of the circuit breaker defaults (HERALD_CIRCUIT_*). */
    circuitBreaker: {
      type: new Schema({ failureThreshold: { type: Number, default: null }, cooldownSeconds: { type: Number, default: null } }, { _id: false }),
      default: null,
    },
    /** Override of HERALD_AUTO_DISABLE_AFTER in seconds; 0: never auto-disable this webhook. */
    autoDisableAfterSeconds: { type: Number, default: null },
    /** Set when Herald disabled the webhook itself (it kept failing); cleared when re-enabled. */
    disabledReason: { type: String, default: null },
    disabledAt: { type: Date, default: null },
    deletedAt: { type: Date, default: null },
  },
  { timestamps: true, minimize: false, versionKey: false },
);

// Event fan-out looks webhooks up by event type.
webhookSchema.plugin(accountScoped);
// No index on eventTypes: webhooks are matched in memory from the configuration cache (src/config-cache.ts), and the
// embedded store indexes an array as one value.
webhookSchema.index({ accountId: 1, _id: -1 });

webhookSchema.plugin(bumpsConfigVersion);

export type WebhookDoc = InferSchemaType<typeof webhookSchema>;

export function webhookCondition(w: { conditionJson?: string | null }): Record<string, unknown> | null {
  return w.conditionJson ? (JSON.parse(w.conditionJson) as Record<string, unknown>) : null;
}

export function conditionJson(condition: Record<string, unknown> | null | undefined): string | null {
  return condition ? JSON.stringify(condition) : null;
}
export type WebhookModel = Model<WebhookDoc>;

export function webhookModel(conn: Connection): WebhookModel {
  return conn.model<WebhookDoc>('Webhook', webhookSchema, 'webhooks');
}
