/**
 * `herald.notification.failed` events decided but maybe not stored yet: the attempt that ends a
 * round `failed` writes one before it records the attempt, and deletes it once the event is stored.
 * What a crash or a MongoDB failure leaves here is emitted by the dispatch sweeper
 * (src/notification-failed.ts), so the event is never lost. Almost always empty.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

export const pendingOperationalEventSchema = new Schema(
  {
    /** The event's idempotency key (`notification.failed:<notification>:<round key>`). */
    _id: { type: String, required: true },
    notificationId: { type: String, required: true },
    /** The automatic round's idempotency key: the round whose end this event reports. */
    idempotencyKey: { type: String, required: true },
    createdAt: { type: Date, default: () => new Date() },
  },
  { versionKey: false },
);

pendingOperationalEventSchema.plugin(accountScoped);
// The dispatch sweeper's due ones, across accounts, oldest first.
pendingOperationalEventSchema.index({ createdAt: 1 });
export type PendingOperationalEventDoc = InferSchemaType<typeof pendingOperationalEventSchema> & { _id: string };
export type PendingOperationalEventModel = Model<PendingOperationalEventDoc>;

export function pendingOperationalEventModel(conn: Connection): PendingOperationalEventModel {
  return conn.model<PendingOperationalEventDoc>('PendingOperationalEvent', pendingOperationalEventSchema, 'pending_operational_events');
}
