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
 * - Outside any scope a tenant query throws: forgetting the scope fails loudly, never leaks.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Everything that existed before accounts belongs here; it always exists and cannot be deleted. */
export const DEFAULT_ACCOUNT = 'default';

export type AccountScope = { accountId: string } | { acrossAccounts: true };

const storage = new AsyncLocalStorage<AccountScope>();

/** Runs `fn` (and everything it awaits) in one account. */
export function inAccount<T>(accountId: string, fn: () => T): T {
  return storage.run({ accountId }, fn);
}

/** Runs `fn` with no account filter: for housekeeping that spans accounts, by name. */
export function acrossAccounts<T>(fn: () => T): T {
  return storage.run({ acrossAccounts: true }, fn);
}

export function currentScope(): AccountScope | undefined {
  return storage.getStore();
}

/** The account of the current scope; throws outside one (or across accounts), naming the caller's mistake. */
export function currentAccountId(): string {
  const scope = storage.getStore();
  if (scope && 'accountId' in scope) return scope.accountId;
  throw new AccountScopeError(scope ? 'this needs one account, not acrossAccounts()' : 'tenant data used outside an account scope');
}

export class AccountScopeError extends Error {
  override name = 'AccountScopeError';
}
