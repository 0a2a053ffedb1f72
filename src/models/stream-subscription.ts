/**
 * A stream subscription (Streaming API, src/stream/): a named reader of the account's event log,
 * not to be confused with the per-entity `Subscription` switches of a webhook. `key` is
 * owningApplication + sorted eventTypes + consumerGroup, unique per account, so creating the same
 * one twice answers the first (POST is idempotent).
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

const streamSubscriptionSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    owningApplication: { type: String, required: true },
    eventTypes: { type: [String], required: true },
    consumerGroup: { type: String, required: true },
    readFrom: { type: String, enum: ['begin', 'end'], required: true },
  },
  { timestamps: true, versionKey: false },
);
streamSubscriptionSchema.plugin(accountScoped);
streamSubscriptionSchema.index({ accountId: 1, key: 1 }, { unique: true });
streamSubscriptionSchema.index({ accountId: 1, createdAt: 1 });
// GET /v1/stream-subscriptions: newest first by id.
streamSubscriptionSchema.index({ accountId: 1, _id: -1 });

export type StreamSubscriptionDoc = InferSchemaType<typeof streamSubscriptionSchema>;
export function streamSubscriptionModel(conn: Connection): Model<StreamSubscriptionDoc> {
  return conn.model<StreamSubscriptionDoc>('StreamSubscription', streamSubscriptionSchema, 'stream_subscriptions');
}
