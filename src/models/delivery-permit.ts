/**
 * Permits that bound how fast and how much Herald sends to one webhook, shared by every worker
 * process (the counters live in MongoDB, not in a process):
 * - `rate`: one document per webhook and fixed window (`<webhookId>:r:<windowIndex>`), counting the
 *   attempts started in that window;
 * - `lease`: one document per webhook and concurrency slot (`<webhookId>:c:<slot>`), held by the
 *   attempt in flight until it ends or its lease expires (a worker killed mid-attempt frees it).
 * The rules are in src/flow-control/limits.ts.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

export const deliveryPermitSchema = new Schema(
  {
    _id: { type: String, required: true },
    webhookId: { type: String, required: true },
    kind: { type: String, enum: ['rate', 'lease'], required: true },
    /** rate: the window's index (time / window length); lease: the slot number. */
    n: { type: Number, required: true },
    /** rate: attempts started in the window. */
    count: { type: Number, default: 0 },
    /** lease: who holds it and until when. */
    holder: { type: String, default: null },
    until: { type: Date, default: null },
  },
  { versionKey: false },
);

deliveryPermitSchema.index({ webhookId: 1, kind: 1, n: 1 });

export type DeliveryPermitDoc = InferSchemaType<typeof deliveryPermitSchema> & { _id: string };
export type DeliveryPermitModel = Model<DeliveryPermitDoc>;

export function deliveryPermitModel(conn: Connection): DeliveryPermitModel {
  return conn.model<DeliveryPermitDoc>('DeliveryPermit', deliveryPermitSchema, 'delivery_permits');
}
