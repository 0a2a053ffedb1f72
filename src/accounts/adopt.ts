/**
 * At start: the account `default` exists, and data from before accounts belongs to it. Documents
 * without `accountId` are stamped once (the default account remembers it did), and the unique
 * indexes that were global before accounts are dropped, so two accounts can use the same
 * Idempotency-Key or switch the same entity. Safe to run from several processes at once.
 */
import type { Models } from '../models';
import { DEFAULT_ACCOUNT } from './scope';
import { isDuplicateKey } from '../db';

/** Indexes from before accounts that would join two accounts' data: [model, index name]. */
const LEGACY_INDEXES: Array<[keyof Models, string]> = [
  ['Event', 'dedupeKey_1'],
  ['Subscription', 'webhookId_1_entityId_1'],
];

export async function adoptPreAccountData(models: Models): Promise<void> {
  const upsert = () =>
    models.Account.findOneAndUpdate({ _id: DEFAULT_ACCOUNT }, { $setOnInsert: { name: 'Default account' } }, { upsert: true, new: true }).lean<{ adoptedAt?: Date | null }>();
  // Two processes starting at once on a new database both upsert; FerretDB lets one of them fail on
  // the `_id` instead of matching: the document exists then, so the second try finds it.
  const account = await upsert().catch((err: unknown) => {
    if (isDuplicateKey(err)) return upsert();
    throw err;
  });
  if (account?.adoptedAt) return;
  for (const [name, index] of LEGACY_INDEXES) {
    await models[name].collection.dropIndex(index).catch((err: { codeName?: string; code?: number }) => {
      // Already gone (another process, or a database made after accounts): fine.
      if (err.codeName !== 'IndexNotFound' && err.code !== 27 && err.codeName !== 'NamespaceNotFound' && err.code !== 26) throw err;
    });
  }
  for (const [name, model] of Object.entries(models)) {
    if (name === 'Account') continue;
    // The driver directly: this is the one write that must reach documents of no account.
    await model.collection.updateMany({ accountId: { $exists: false } }, { $set: { accountId: DEFAULT_ACCOUNT } });
  }
  await models.Account.updateOne({ _id: DEFAULT_ACCOUNT }, { $set: { adoptedAt: new Date() } });
}
