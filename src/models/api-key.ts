/**
 * An account's API key. Only a SHA-256 hash of the key is stored (keys are 256 random bits, so a
 * fast hash is enough); the key itself is shown once, when created. `revokedAt` set: refused.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';

export const apiKeySchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, default: null },
    /** hex SHA-256 of the key. */
    hash: { type: String, required: true },
    /** The key's first characters, for telling keys apart in a list. */
    prefix: { type: String, required: true },
    revokedAt: { type: Date, default: null },
  },
  { timestamps: true, versionKey: false },
);

apiKeySchema.plugin(accountScoped);
// Authentication finds a key by its hash, before its account is known (across accounts).
apiKeySchema.index({ hash: 1 }, { unique: true });
apiKeySchema.index({ accountId: 1, _id: -1 });

export type ApiKeyDoc = InferSchemaType<typeof apiKeySchema> & { _id: string; accountId: string };
export type ApiKeyModel = Model<ApiKeyDoc>;

export function apiKeyModel(conn: Connection): ApiKeyModel {
  return conn.model<ApiKeyDoc>('ApiKey', apiKeySchema as never, 'apikeys');
}
