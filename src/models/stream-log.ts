/**
 * The stream log's bookkeeping; the log itself is the events collection (each event carries its
 * `streamPartition` and `streamOffset`), so it is written with the event and purged with it.
 *
 * - `StreamOffsetCounter`: the last offset allocated in one (account, partition), taken by `$inc`
 *   before the event is inserted (no transactions on FerretDB: the counter is the one extra write).
 * - `StreamSkip`: an offset allocated but never used (the insert failed or was a duplicate), so
 *   readers pass it at once instead of waiting out the gap timeout.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

const counterSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${accountId}:${partition}`
    partition: { type: Number, required: true },
    last: { type: Number, required: true },
  },
  { versionKey: false },
);
counterSchema.plugin(accountScoped);

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

export type StreamOffsetCounterDoc = InferSchemaType<typeof counterSchema>;
export type StreamSkipDoc = InferSchemaType<typeof skipSchema>;

export function streamOffsetCounterModel(conn: Connection): Model<StreamOffsetCounterDoc> {
  return conn.model<StreamOffsetCounterDoc>('StreamOffsetCounter', counterSchema, 'stream_offset_counters');
}
export function streamSkipModel(conn: Connection): Model<StreamSkipDoc> {
  return conn.model<StreamSkipDoc>('StreamSkip', skipSchema, 'stream_skips');
}
