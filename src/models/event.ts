/**
 * An accepted event. `dedupeKey` is unique: `key:<Idempotency-Key>` when the header was given,
 * otherwise `id:<event id>`, so concurrent duplicates are stopped by the index, not a read.
 * `dispatchedAt` stays null until every notification workflow was started: the dispatch sweeper picks up
 * events left undispatched (Temporal unreachable, a crash) and finishes the job.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

export const eventSchema = new Schema(
  {
    _id: { type: String, required: true },
    type: { type: String, required: true },
    /**
     * The event's data as JSON text, not a subdocument: FerretDB (the embedded store) refuses keys
     * with a "." or a leading "$", which event data from any system may have. Read with eventData().
     */
    dataJson: { type: String, default: '{}' },
    /** The event-type version `data` was posted in (versioned event types), or null: the type had none. */
    version: { type: String, default: null },
    entityIds: { type: [String], default: [] },
    occurredAt: { type: Date, required: true },
    dedupeKey: { type: String, required: true },
    source: { type: String, default: null },
    dispatchedAt: { type: Date, default: null },
    /** Notifications its fan-out created (set with dispatchedAt): 0 means it matched no webhook. */
    notificationCount: { type: Number, default: null },
    /** Its place in the account's stream log (src/stream/log.ts); null for events from before the log. */
    streamPartition: { type: Number, default: null },
    streamOffset: { type: Number, default: null },
  },
  { timestamps: true, minimize: false, versionKey: false },
);

eventSchema.plugin(accountScoped);
eventSchema.index({ accountId: 1, dedupeKey: 1 }, { unique: true });
// The dispatch sweeper looks across accounts (src/dispatch-sweeper.ts): no account prefix.
eventSchema.index({ dispatchedAt: 1, createdAt: 1 });
// GET /v1/events and replay: by time (newest or oldest first), by type, by entity.
// Entities: src/models/entity-link.ts (the embedded store has no multikey indexes).
eventSchema.index({ accountId: 1, createdAt: -1, _id: -1 });
eventSchema.index({ accountId: 1, type: 1, createdAt: -1, _id: -1 });
// No index by stream position: streams follow the log's claims by _id and read events by id (src/stream/log-reader.ts).

export type EventDoc = InferSchemaType<typeof eventSchema>;

export function eventData(event: { dataJson?: string | null }): Record<string, unknown> {
  return event.dataJson ? (JSON.parse(event.dataJson) as Record<string, unknown>) : {};
}
export type EventModel = Model<EventDoc>;

export function eventModel(conn: Connection): EventModel {
  return conn.model<EventDoc>('Event', eventSchema, 'events');
}
