/**
 * Every process caches the webhook configuration (src/config-cache.ts) and revalidates it with one
 * indexed read of the settings document, whose `configVersion` changes on every write that can
 * change who receives what: webhooks, subscriptions and settings. This plugin is the one place that
 * bumps it, after any write through the models, so no route can forget to.
 */
import type { Schema, Model } from 'mongoose';
import { currentAccountId, DEFAULT_ACCOUNT } from '../accounts/scope';

/**
 * The `_id` of an account's settings document: `global` for the account `default` (the document
 * every Herald had before accounts), `settings:<account>` for the others.
 */
/** The account `default`'s settings document. */
export const SETTINGS_ID = 'global';

export function settingsId(accountId = currentAccountId()): string {
  return accountId === DEFAULT_ACCOUNT ? SETTINGS_ID : `settings:${accountId}`;
}

const WRITES = ['save', 'insertMany', 'updateOne', 'updateMany', 'findOneAndUpdate', 'findOneAndDelete', 'deleteOne', 'deleteMany', 'replaceOne'] as const;

/** Bumps the account's `settings.configVersion` after every write to the collection the schema belongs to. */
export function bumpsConfigVersion(schema: Schema): void {
  for (const op of WRITES) {
    // Mongoose passes the query (or the document, for save/insertMany) as `this`.
    schema.post(op as 'save', async function (this: unknown) {
      await bumpConfigVersion(modelOf(this), accountOf(this));
    });
  }
}

export async function bumpConfigVersion(anyModel: Model<unknown>, accountId = currentAccountId()): Promise<void> {
  // No timestamps: the settings' updatedAt says when an operator changed them, not the webhooks.
  await anyModel.db
    .model('Setting')
    .updateOne({ _id: settingsId(accountId), accountId }, { $inc: { configVersion: 1 } }, { upsert: true, timestamps: false });
}

/** The account of the document or query that was written: its own for a document, else the scope's. */
function accountOf(self: unknown): string {
  const own = (self as { accountId?: unknown }).accountId;
  return typeof own === 'string' ? own : currentAccountId();
}

/** Emitted on the connection after this process wrote the settings document (see ConfigCache.recent). */
export const CONFIG_CHANGED = 'herald:config-changed';

/**
 * For the settings schema: after any write to it (an operator's settings change, or a version bump
 * above), tells this process's configuration caches on the same connection.
 */
export function announcesConfigChanges(schema: Schema): void {
  for (const op of WRITES) {
    schema.post(op as 'save', function (this: unknown) {
      modelOf(this).db.emit(CONFIG_CHANGED);
    });
  }
}

function modelOf(self: unknown): Model<unknown> {
  const s = self as { model?: Model<unknown>; constructor?: Model<unknown> };
  // A query carries its model; a document's constructor is its model; insertMany's `this` is the model.
  if (s.model && typeof s.model === 'function' && 'db' in s.model) return s.model;
  if (typeof self === 'function' && 'db' in (self as object)) return self as Model<unknown>;
  return s.constructor as Model<unknown>;
}
