/**
 * A named credential pair referenced as `{{env_var[@name].user}}` / `{{env_var[@name].pass}}` from
 * webhook auth and inbound source basic auth, per account: `_id` is `variableId(name)` (the bare name
 * in the account `default`, as before accounts existed); both values are sealed
 * (AES-256-GCM) and never leave through the API, which shows only the name and when it changed.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';
import { currentAccountId, DEFAULT_ACCOUNT } from '../accounts/scope';

export const variableSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** The name references use; documents from before accounts have only the `_id` (the same). */
    name: { type: String },
    /** Sealed. */
    user: { type: String, required: true },
    /** Sealed. */
    pass: { type: String, required: true },
  },
  { timestamps: true, versionKey: false },
);

variableSchema.plugin(accountScoped);
// GET /v1/variables: the account's, by name.
variableSchema.index({ accountId: 1, _id: 1 });

/** The `_id` of an account's variable: names are per account, `_id`s are global. */
export function variableId(name: string, accountId = currentAccountId()): string {
  return accountId === DEFAULT_ACCOUNT ? name : `${accountId}/${name}`;
}

export type VariableDoc = InferSchemaType<typeof variableSchema>;
export type VariableModel = Model<VariableDoc>;

export function variableModel(conn: Connection): VariableModel {
  return conn.model<VariableDoc>('Variable', variableSchema, 'variables');
}
