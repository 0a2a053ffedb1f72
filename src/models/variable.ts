/**
 * A named credential pair referenced as `{{env_var[@name].user}}` / `{{env_var[@name].pass}}` from
 * webhook auth and inbound source basic auth. The name is the `_id`; both values are sealed
 * (AES-256-GCM) and never leave through the API, which shows only the name and when it changed.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

export const variableSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** Sealed. */
    user: { type: String, required: true },
    /** Sealed. */
    pass: { type: String, required: true },
  },
  { timestamps: true, versionKey: false },
);

export type VariableDoc = InferSchemaType<typeof variableSchema>;
export type VariableModel = Model<VariableDoc>;

export function variableModel(conn: Connection): VariableModel {
  return conn.model<VariableDoc>('Variable', variableSchema, 'variables');
}
