/**
 * The account a piece of work acts for, carried through async calls (AsyncLocalStorage), so every
 * read and write of tenant data is scoped in one place — the mongoose plugin in
 * src/models/account-scoped.ts — rather than by a filter each route must remember.
 *
 * - An API request runs in the account its key resolves to (src/http/auth.ts).
 * - An activity runs in the account named by its input (activities/index.ts), `default` for
 *   executions started before accounts existed.
 * - Housekeeping that spans accounts (the dispatch sweeper, the purge's flow-control step) says so
 *   with `acrossAccounts`, and must put the account on anything it writes.
 * - Outside any scope, code acts on the account `default`, as all code did before accounts (the CLI's
 *   and tests' direct model calls keep working unchanged). That fails safe: code that forgets the
 *   scope sees one account's data, never every account's.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Everything that existed before accounts belongs here; it always exists and cannot be deleted. */
export const DEFAULT_ACCOUNT = 'default';

export type AccountScope = { accountId: string } | { acrossAccounts: true };

const storage = new AsyncLocalStorage<AccountScope>();

/** Runs `fn` (and everything it awaits) in one account. */
export function inAccount<T>(accountId: string, fn: () => T): T {
  return runIn({ accountId }, fn);
}

/** Runs `fn` with no account filter: for housekeeping that spans accounts, by name. */
export function acrossAccounts<T>(fn: () => T): T {
  return runIn({ acrossAccounts: true }, fn);
}

function runIn<T>(scope: AccountScope, fn: () => T): T {
  return storage.run(scope, () => {
    const result = fn();
    // A mongoose query runs only when awaited: `inAccount(id, () => Model.find())` must start it
    // here, inside the scope, not in the caller's `await` outside it.
    return isThenable(result) ? (Promise.resolve(result) as T) : result;
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

const OUTSIDE: AccountScope = Object.freeze({ accountId: DEFAULT_ACCOUNT });

export function currentScope(): AccountScope {
  return storage.getStore() ?? OUTSIDE;
}

/** The account of the current scope; throws across accounts, where there is no one account. */
export function currentAccountId(): string {
  const scope = currentScope();
  if ('accountId' in scope) return scope.accountId;
  throw new AccountScopeError('this needs one account, not acrossAccounts()');
}

export class AccountScopeError extends Error {
  override name = 'AccountScopeError';
}
