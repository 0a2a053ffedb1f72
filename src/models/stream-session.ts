/**
 * One open stream of a stream subscription: a lease the serving API process renews
 * (`heartbeatAt`). Live sessions of a subscription share its partitions (src/stream/assignment.ts);
 * any API process can read them, so commits and rebalancing work whichever process serves what.
 * `lastCommitAt` is set by commits (on any process) and read by the serving process's commit
 * timeout. `closedAt` set means the stream must end (its subscription was deleted, or it timed out).
 * `reading`: the partitions it read after its last heartbeat, so a partition moving to another
 * stream is read by the new one only once the old one let go of it.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

const streamSessionSchema = new Schema(
  {
    _id: { type: String, required: true },
    subscriptionId: { type: String, required: true },
    joinedAt: { type: Date, required: true },
    heartbeatAt: { type: Date, required: true },
    lastCommitAt: { type: Date, default: null },
    closedAt: { type: Date, default: null },
    /** The partitions the stream read after its last heartbeat: a new owner waits until they are not listed here. */
    reading: { type: [Number], default: [] },
  },
  { versionKey: false },
);
streamSessionSchema.plugin(accountScoped);
streamSessionSchema.index({ accountId: 1, subscriptionId: 1, heartbeatAt: 1 });

export type StreamSessionDoc = InferSchemaType<typeof streamSessionSchema>;
export function streamSessionModel(conn: Connection): Model<StreamSessionDoc> {
  return conn.model<StreamSessionDoc>('StreamSession', streamSessionSchema, 'stream_sessions');
}
