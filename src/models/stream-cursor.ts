/**
 * The committed position of a stream subscription in one partition: `offset` is the last offset
 * the consumer committed (0: nothing yet). Only ever moved forward, by a conditional update
 * (`offset < new`), so concurrent or repeated commits cannot move it back.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

const streamCursorSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${subscriptionId}:${partition}`
    subscriptionId: { type: String, required: true },
    partition: { type: Number, required: true },
    offset: { type: Number, required: true },
  },
  { timestamps: true, versionKey: false },
);
streamCursorSchema.plugin(accountScoped);
streamCursorSchema.index({ accountId: 1, subscriptionId: 1, partition: 1 });

export type StreamCursorDoc = InferSchemaType<typeof streamCursorSchema>;
export function streamCursorModel(conn: Connection): Model<StreamCursorDoc> {
  return conn.model<StreamCursorDoc>('StreamCursor', streamCursorSchema, 'stream_cursors');
}
