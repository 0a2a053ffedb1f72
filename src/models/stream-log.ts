/**
 * The stream log's bookkeeping; the log itself is the events collection (each event carries its
 * `streamPartition` and `streamOffset`), so it is written with the event and purged with it.
 *
 * - `StreamOffsetClaim`: one document per offset taken, `_id` = account:partition:offset, inserted
 *   before the event (the one extra write). The unique `_id` is what makes two API processes never
 *   take the same offset: FerretDB 1.x runs a `findAndModify` `$inc` as a read then a write, so a
 *   counter handed out the same offset twice under concurrency (measured: 34 distinct of 60).
 * - `StreamSkip`: an offset allocated but never used (the insert failed or was a duplicate), so
 *   readers pass it at once instead of waiting out the gap timeout.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

const claimSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${accountId}:${partition}:${offset}`
    partition: { type: Number, required: true },
    offset: { type: Number, required: true },
  },
  { versionKey: false },
);
claimSchema.plugin(accountScoped);
claimSchema.index({ accountId: 1, partition: 1, offset: -1 });

const skipSchema = new Schema(
  {
    partition: { type: Number, required: true },
    offset: { type: Number, required: true },
    createdAt: { type: Date, default: () => new Date() },
  },
  { versionKey: false },
);
skipSchema.plugin(accountScoped);
skipSchema.index({ accountId: 1, partition: 1, offset: 1 });

export type StreamOffsetClaimDoc = InferSchemaType<typeof claimSchema>;
export type StreamSkipDoc = InferSchemaType<typeof skipSchema>;

export function streamOffsetClaimModel(conn: Connection): Model<StreamOffsetClaimDoc> {
  return conn.model<StreamOffsetClaimDoc>('StreamOffsetClaim', claimSchema, 'stream_offset_claims');
}
export function streamSkipModel(conn: Connection): Model<StreamSkipDoc> {
  return conn.model<StreamSkipDoc>('StreamSkip', skipSchema, 'stream_skips');
}
