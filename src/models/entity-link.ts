/**
 * Which notifications and events name an entity: one small document per (entity, notification)
 * and per (entity, event), so "everything about loan-7" is an index range of a few rows whatever
 * the size of the history. MongoDB could serve it from a multikey index on `entityIds`; the
 * embedded store's indexes are on whole values (an array is one value), so Herald keeps the links
 * itself, the same way on both stores. Written with the notifications (src/fan-out.ts) and the
 * event (src/ingest.ts), idempotently (the `_id` is the pair); deleted with them by retention.
 *
 * `kind` keeps the two lists apart in one collection: notifications are listed by id (ids sort by
 * time), events by (createdAt, id), as their own lists are.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

export const entityLinkSchema = new Schema(
  {
    /** `<ref>|<entityId>`: one link per pair, so a redone fan-out or ingest inserts nothing new. */
    _id: { type: String, required: true },
    entityId: { type: String, required: true },
    kind: { type: String, enum: ['ntf', 'evt'], required: true },
    /** The notification's or the event's id. */
    ref: { type: String, required: true },
    /** The event's createdAt (kind `evt`), the order of the events list; the notification's creation time otherwise. */
    at: { type: Date, required: true },
  },
  { versionKey: false },
);

entityLinkSchema.plugin(accountScoped);
entityLinkSchema.index({ accountId: 1, entityId: 1, kind: 1, ref: -1 });
entityLinkSchema.index({ accountId: 1, entityId: 1, kind: 1, at: -1, ref: -1 });
// Retention deletes the links of what it deletes, by their refs.
entityLinkSchema.index({ accountId: 1, ref: 1 });

export type EntityLinkDoc = InferSchemaType<typeof entityLinkSchema>;
export type EntityLinkModel = Model<EntityLinkDoc>;

export function entityLinkModel(conn: Connection): EntityLinkModel {
  return conn.model<EntityLinkDoc>('EntityLink', entityLinkSchema, 'entitylinks');
}

/** The links of one notification or event (none without entities). */
export function entityLinks(kind: 'ntf' | 'evt', ref: string, at: Date, entityIds: readonly string[]): EntityLinkDoc[] {
  return [...new Set(entityIds)].map((entityId) => ({ _id: `${ref}|${entityId}`, entityId, kind, ref, at }) as EntityLinkDoc);
}
