/**
 * The one place tenant data is scoped to its account. Every tenant schema takes this plugin: it adds
 * `accountId` (set from the current scope on create, never changed after) and filters every query,
 * update, delete, count and aggregation by the current scope's account (src/accounts/scope.ts).
 * A route or activity cannot forget the filter; outside any scope it is the account `default`'s
 * (src/accounts/scope.ts), never every account's. Compound indexes of tenant schemas start with `accountId`.
 */
import type { Schema, Query, Aggregate } from 'mongoose';
import { AccountScopeError, currentScope, DEFAULT_ACCOUNT } from '../accounts/scope';

const QUERY_OPS = [
  'find', 'findOne', 'countDocuments', 'distinct',
  'updateOne', 'updateMany', 'replaceOne',
  'findOneAndUpdate', 'findOneAndDelete', 'findOneAndReplace',
  'deleteOne', 'deleteMany',
] as const;

/** The account a write or read is confined to, or null across accounts. */
function scopedAccount(): string | null {
  const scope = currentScope();
  return 'accountId' in scope ? scope.accountId : null;
}

export function accountScoped(schema: Schema): void {
  schema.add({
    accountId: {
      type: String,
      required: true,
      immutable: true,
      default: () => scopedAccount() ?? undefined,
    },
  });

  for (const op of QUERY_OPS) {
    schema.pre(op, function (this: Query<unknown, unknown>) {
      const accountId = scopedAccount();
      if (accountId === null) return;
      // `{_id, accountId}` keeps the _id index on the embedded FerretDB too (src/embedded/ferretdb-patches.ts).
      const filter = this.getFilter() as { accountId?: unknown; _id?: unknown };
      const asked = filter.accountId;
      if (asked !== undefined && asked !== accountId && typeof asked !== 'object') throw new AccountScopeError(`${this.model.modelName}.${op} names another account`);
      this.where({ accountId: accountFilter(accountId, typeof filter._id === 'string') });
    });
  }
  // A count without a filter cannot be scoped: refused, so nobody counts every account by mistake.
  schema.pre('estimatedDocumentCount', function (this: Query<unknown, unknown>) {
    throw new AccountScopeError(`${this.model.modelName}.estimatedDocumentCount cannot be scoped; use countDocuments`);
  });

  schema.pre('aggregate', function (this: Aggregate<unknown>) {
    const accountId = scopedAccount();
    if (accountId === null) return;
    // Into the first $match when there is one: the embedded store pushes only the first stage down
    // to its indexes, so a separate leading `$match: {accountId}` would read the whole account.
    const [first] = this.pipeline() as Array<{ $match?: Record<string, unknown> }>;
    if (first?.$match && !('accountId' in first.$match)) first.$match = { accountId: accountFilter(accountId), ...first.$match };
    else this.pipeline().unshift({ $match: { accountId: accountFilter(accountId) } });
  });

  schema.pre('insertMany', function (this: unknown, next: (err?: Error) => void, docs: unknown) {
    try {
      const accountId = scopedAccount();
      for (const doc of (Array.isArray(docs) ? docs : [docs]) as Array<Record<string, unknown>>) stamp(doc, accountId);
      next();
    } catch (err) {
      next(err as Error);
    }
  });

  schema.pre('save', function () {
    const accountId = scopedAccount();
    stamp(this as unknown as Record<string, unknown>, accountId);
  });
  schema.pre('bulkWrite', function () {
    throw new AccountScopeError('bulkWrite bypasses the account scope; use the scoped model calls');
  });
}

/**
 * The filter on `accountId`. Documents written without an account (by a Herald from before
 * accounts, or by hand) belong to `default`: src/accounts/adopt.ts stamps them before a process
 * serves anything, and until then (an older process still writing) a read or write by `_id` finds
 * them, as it always did (one row from the `_id` index either way). Every other query filters by
 * equality, so the tenant indexes (led by `accountId`) serve it on the embedded store too, whose
 * planner cannot use an index for "this account or none".
 */
function accountFilter(accountId: string, byId = false): unknown {
  return byId && accountId === DEFAULT_ACCOUNT ? { $in: [DEFAULT_ACCOUNT, null] } : accountId;
}

function stamp(doc: Record<string, unknown>, accountId: string | null): void {
  const current = doc.accountId as string | undefined;
  if (accountId === null) {
    // Across accounts, whoever writes must say whose data it is.
    if (!current) throw new AccountScopeError('a write across accounts must name the document\'s accountId');
    return;
  }
  if (current === undefined || current === null) doc.accountId = accountId;
  else if (current !== accountId) throw new AccountScopeError('a document of another account cannot be written in this scope');
}
