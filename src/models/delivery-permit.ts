/**
 * Permits that bound how fast and how much Herald sends to one webhook, shared by every worker
 * process (they live in MongoDB, not in a process). A permit is taken by inserting its document:
 * - `rate`: one document per attempt started in a fixed window (`<webhookId>:r:<window>:<k>`, k
 *   below the limit); a window's documents are removed when a later window starts;
 * - `lease`: one document per concurrency slot in use (`<webhookId>:c:<k>`), deleted when its
 *   attempt ends, or taken over once `until` passed (a worker killed mid-attempt);
 * - `probe`: the one probe of an open circuit's period (`<webhookId>:probe:<period>`), removed
 *   when the circuit closes;
 * - `report`: a health change reported (`<webhookId>:report:<change>:<period>`), so of several
 *   workers that saw it one tells; expired ones are removed when the circuit closes;
 * - `takeover`: the takeover of an expired lease or probe (`<id>:takeover:<its until>`), so of
 *   several takers one replaces it (permits.ts).
 * The rules are in src/flow-control/limits.ts. What a webhook that went quiet (or was deleted)
 * leaves behind, the hourly purge removes (src/flow-control/housekeeping.ts).
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

export const deliveryPermitSchema = new Schema(
  {
    _id: { type: String, required: true },
    webhookId: { type: String, required: true },
    kind: { type: String, enum: ['rate', 'lease', 'probe', 'report', 'takeover'], required: true },
    /** rate: the window's index (time / window length); lease: the slot number. */
    n: { type: Number, required: true },
    /** rate: the permit's number within its window. */
    count: { type: Number, default: 0 },
    /** lease: who holds it and until when. */
    holder: { type: String, default: null },
    until: { type: Date, default: null },
  },
  { versionKey: false },
);

// Not account-scoped: permits are keyed by webhook (ids unique across accounts) or `ingest:<account>`,
// never listed to a tenant, and taking one must stay the single-`_id` insert FerretDB makes atomic.
deliveryPermitSchema.index({ webhookId: 1, kind: 1, n: 1 });
// The housekeeping's expired permits by kind, across webhooks (src/flow-control/housekeeping.ts).
deliveryPermitSchema.index({ kind: 1, until: 1 });

export type DeliveryPermitDoc = InferSchemaType<typeof deliveryPermitSchema> & { _id: string };
export type DeliveryPermitModel = Model<DeliveryPermitDoc>;

export function deliveryPermitModel(conn: Connection): DeliveryPermitModel {
  return conn.model<DeliveryPermitDoc>('DeliveryPermit', deliveryPermitSchema, 'delivery_permits');
}
