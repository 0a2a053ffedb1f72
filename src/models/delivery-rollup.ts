/**
 * Delivery rollups: deliveries by outcome, latency histograms and notification status changes, per
 * account, webhook and minute, kept as the work happens so stats and charts never scan the history
 * (src/stats/). Documents are only inserted and deleted, never updated: the embedded store can lose
 * one of two concurrent updates of a document, an insert by a unique `_id` it makes atomic.
 *
 * `_id` sorts by account, then time, so an account's time range is one `_id` range:
 * - `<accountId>|<yyyymmddHHMM>|<writerId>|<seq>`: a writer process's flush (level 0) for one minute;
 * - `<accountId>|<yyyymmddHHMM>|~<n>`: a compaction of one minute (level 1);
 * - `<accountId>|<yyyymmddHHM>|~<n>`: a compaction of a 10-minute block, its minutes kept apart in `w` (level 3);
 * - `<accountId>|<yyyymmddHH>|~<n>`: a compaction of one hour (level 2);
 * - `<accountId>|~lock|<yyyymmddHHMM><a|b>`: the compaction of an account in that half minute, taken by inserting it.
 * A compaction sorts after everything of its period, so an `_id` range from a minute on holds the
 * compactions of that minute's block and hour too.
 * One document holds every webhook of its account and period, packed in `w` (src/stats/tally.ts
 * says why one string). A compaction's `covers` names the documents it replaces: a reader skips
 * those while they still exist, so a compaction cut short counts nothing twice (src/stats/compaction.ts).
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

export const ROLLUP_LEVELS = { flush: 0, minute: 1, hour: 2, block: 3, lock: 9 } as const;

export const deliveryRollupSchema = new Schema(
  {
    _id: { type: String, required: true },
    level: { type: Number, required: true },
    /** The start of the minute or hour the counts belong to. */
    at: { type: Date, required: true },
    /** Per webhook tallies, packed (src/stats/tally.ts). */
    w: { type: String, default: '{}' },
    /** Compactions: the `_id`s of the documents this one replaces. */
    covers: { type: [String], default: undefined },
  },
  { versionKey: false },
);

// Read by `_id` ranges only (the account and time are the `_id`'s prefix): no other index.
deliveryRollupSchema.plugin(accountScoped);

export type DeliveryRollupDoc = InferSchemaType<typeof deliveryRollupSchema> & { _id: string; accountId: string };
export type DeliveryRollupModel = Model<DeliveryRollupDoc>;

export function deliveryRollupModel(conn: Connection): DeliveryRollupModel {
  return conn.model<DeliveryRollupDoc>('DeliveryRollup', deliveryRollupSchema, 'delivery_rollups');
}
