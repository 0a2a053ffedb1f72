/**
 * An account: one tenant of the platform that runs Herald. Its data (webhooks, events,
 * notifications, ...) carries its `_id` as `accountId` (src/models/account-scoped.ts). The account
 * `default` holds everything made before accounts existed; it always exists and is never deleted.
 * Deleting another account is soft (`deletedAt`): its history stays for retention.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

export const accountSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    /** The account's pin for versioned event types (semver), or null: the newest. */
    apiVersion: { type: String, default: null },
    /** Overrides HERALD_RETENTION for this account (seconds), or null. */
    retentionSeconds: { type: Number, default: null },
    /** Most events accepted per second (POST /v1/events and inbound URLs), or null: no limit. */
    eventsPerSecond: { type: Number, default: null },
    deletedAt: { type: Date, default: null },
    /** The account `default` only: when data from before accounts was stamped as its own (src/accounts/adopt.ts). */
    adoptedAt: { type: Date, default: null },
  },
  { timestamps: true, versionKey: false },
);

export type AccountDoc = InferSchemaType<typeof accountSchema> & { _id: string };
export type AccountModel = Model<AccountDoc>;

export function accountModel(conn: Connection): AccountModel {
  return conn.model<AccountDoc>('Account', accountSchema, 'accounts');
}
