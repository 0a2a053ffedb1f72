/** An account's settings, one document per account (`_id`: settingsId(), `global` for the account `default`). */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';
import { announcesConfigChanges } from './config-version';

export const settingSchema = new Schema(
  {
    _id: { type: String, required: true },
    webhookCommunications: { type: String, enum: ['enabled', 'none'], default: 'enabled' },
    /** Bumped by every configuration write (see config-version.ts): caches revalidate against it. */
    configVersion: { type: Number, default: 0 },
  },
  { timestamps: true, versionKey: false },
);
settingSchema.plugin(accountScoped);
settingSchema.plugin(announcesConfigChanges);

export type SettingDoc = InferSchemaType<typeof settingSchema>;
export type SettingModel = Model<SettingDoc>;

export function settingModel(conn: Connection): SettingModel {
  return conn.model<SettingDoc>('Setting', settingSchema, 'settings');
}
