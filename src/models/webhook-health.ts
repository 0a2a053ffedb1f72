/**
 * A webhook's endpoint health: its circuit breaker and how long it has been failing. Kept apart
 * from the webhook document on purpose: health changes with every failed attempt, and a write to
 * webhooks bumps the configuration version every process revalidates against (config-version.ts).
 * One document per webhook that ever failed, `_id` = the webhook's id. The rules are in
 * src/flow-control/circuit.ts.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

export const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];

export const webhookHealthSchema = new Schema(
  {
    _id: { type: String, required: true },
    state: { type: String, enum: CIRCUIT_STATES, default: 'closed' },
    /** When the circuit entered its state. */
    since: { type: Date, default: () => new Date() },
    /** Failed attempts in a row (any notification), reset by a success. */
    consecutiveFailures: { type: Number, default: 0 },
    /** How many times in a row the circuit opened without closing (the cool-down doubles each time). */
    openings: { type: Number, default: 0 },
    /** The first failure since the last success: auto-disable counts from here. */
    failingSince: { type: Date, default: null },
    /** While open: when the next probe attempt may go. */
    nextProbeAt: { type: Date, default: null },
    /** While half-open: the probe's lease (a probe whose worker died is taken over after it). */
    probeUntil: { type: Date, default: null },
    lastSuccessAt: { type: Date, default: null },
    lastFailureAt: { type: Date, default: null },
  },
  { versionKey: false, minimize: false },
);

webhookHealthSchema.plugin(accountScoped);
// The circuits not closed, across accounts (the metrics' herald_webhook_circuit_state).
webhookHealthSchema.index({ state: 1 });

export type WebhookHealthDoc = InferSchemaType<typeof webhookHealthSchema> & { _id: string };
export type WebhookHealthModel = Model<WebhookHealthDoc>;

export function webhookHealthModel(conn: Connection): WebhookHealthModel {
  return conn.model<WebhookHealthDoc>('WebhookHealth', webhookHealthSchema, 'webhook_health');
}
