/**
 * An inbound source: a direct URL (`/in/{id}/{signature}`) through which any system that can send
 * a webhook pushes events of `eventType` into Herald without an API key. Optional basic auth: the
 * username is stored as given (it is shown, like a webhook's), the password sealed or as a
 * variable reference. Switching auth off unsets `basicAuth` entirely, so no credential lingers.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

export const sourceSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    eventType: { type: String, required: true },
    basicAuth: {
      type: new Schema(
        {
          /** As given, or a `{{env_var[@name].user}}` reference. */
          username: { type: String, required: true },
          /** Sealed, or a `{{env_var[@name].pass}}` reference. */
          password: { type: String, required: true },
        },
        { _id: false },
      ),
      default: undefined,
    },
  },
  { timestamps: true, versionKey: false },
);

sourceSchema.plugin(accountScoped);
// GET /v1/sources: the account's, newest first.
sourceSchema.index({ accountId: 1, _id: -1 });
export type SourceDoc = InferSchemaType<typeof sourceSchema>;
export type SourceModel = Model<SourceDoc>;

export function sourceModel(conn: Connection): SourceModel {
  return conn.model<SourceDoc>('Source', sourceSchema, 'sources');
}
