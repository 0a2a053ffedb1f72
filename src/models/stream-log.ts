/**
 * The stream log's bookkeeping; the events themselves are in the events collection (each carries
 * its `streamPartition` and `streamOffset`). src/stream/log.ts says how they work together.
 *
 * - `StreamOffsetClaim`: one document per offset taken, `_id` = account:partition:offset, naming
 *   the event it was taken for, inserted before the event (the one extra write of the webhook
 *   path). The unique `_id` is what makes two API processes never take the same offset: FerretDB
 *   1.x runs a `findAndModify` `$inc` as a read then a write, so a counter handed out the same
 *   offset twice under concurrency (measured: 34 distinct of 60). Readers look claims up by `_id`.
 * - `StreamLogFloor`: per account and partition, the lowest offset retention kept (`_id` =
 *   account:partition): a reader below it resumes there (src/stream/trim.ts).
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

const claimSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${accountId}:${partition}:${offset}`
    partition: { type: Number, required: true },
    offset: { type: Number, required: true },
    /** The event the offset was taken for (a duplicate's claim names the first event: readers pass it). */
    eventId: { type: String, default: null },
    /** When it was taken: a gap or a missing event older than the gap timeout is passed, and retention trims by it. */
    at: { type: Date, default: () => new Date() },
    /** The event's insert failed: nothing will ever be at this offset. */
    skipped: { type: Boolean, default: false },
    /** Taken to move a late-inserted event here (src/stream/log.ts reappend). */
    reappended: { type: Boolean, default: false },
  },
  { versionKey: false },
);
claimSchema.plugin(accountScoped);
// A partition's end: its newest claim (src/stream/log.ts lastClaimed).
claimSchema.index({ accountId: 1, partition: 1, at: -1 });
// The retention trims an account's claims by time (src/stream/trim.ts).
claimSchema.index({ accountId: 1, at: 1 });

const floorSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${accountId}:${partition}`
    partition: { type: Number, required: true },
    /** The lowest offset kept: every claim below it was trimmed. */
    offset: { type: Number, required: true },
  },
  { versionKey: false },
);
floorSchema.plugin(accountScoped);

export type StreamOffsetClaimDoc = InferSchemaType<typeof claimSchema>;
export type StreamLogFloorDoc = InferSchemaType<typeof floorSchema>;

export function streamOffsetClaimModel(conn: Connection): Model<StreamOffsetClaimDoc> {
  return conn.model<StreamOffsetClaimDoc>('StreamOffsetClaim', claimSchema, 'stream_offset_claims');
}
export function streamLogFloorModel(conn: Connection): Model<StreamLogFloorDoc> {
  return conn.model<StreamLogFloorDoc>('StreamLogFloor', floorSchema, 'stream_log_floors');
}
