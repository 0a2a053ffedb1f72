/**
 * Who is calling, and for which account. An admin key (HERALD_API_KEYS or the embedded stack's
 * generated key) acts on the account `default`, or on the one named by `Herald-Account`; an account
 * key (stored hashed, src/models/api-key.ts) acts on its own account only. Admin keys are compared in
 * constant time against every configured key (no early exit); an account key is found by its hash.
 * A missing, malformed, unknown or revoked key gets the same 401. Keys are never logged.
 *
 * Resolutions are cached per process for at most KEY_CACHE_MS, so a revoked key (or a deleted
 * account) is refused by every API process within that time.
 */
import type { RequestHandler, Response } from 'express';
import type { Models } from '../models';
import { HeraldError, ErrorCodes, forbidden, notFound, unauthorized } from '../errors';
import { timingSafeEqualStrings } from '../crypto/secrets';
import { hashApiKey } from '../accounts/keys';
import { accountIsLive } from '../accounts/live';
import { acrossAccounts, DEFAULT_ACCOUNT, inAccount } from '../accounts/scope';

export const KEY_CACHE_MS = 500;
export const ACCOUNT_HEADER = 'herald-account';

export interface Caller {
  /** The account the request acts on. */
  accountId: string;
  /** An admin key: may manage accounts and name any account with `Herald-Account`. */
  admin: boolean;
}

export function callerOf(res: Response): Caller {
  return res.locals.caller as Caller;
}

export interface AuthDeps {
  apiKeys: readonly string[];
  models: Pick<Models, 'ApiKey' | 'Account'>;
}

export function apiKeyAuth(deps: AuthDeps): RequestHandler {
  const keys = new Map<string, { accountId: string | null; until: number }>();
  const accounts = new Map<string, { live: boolean; until: number }>();

  async function accountKey(presented: string): Promise<string | null> {
    const hash = hashApiKey(presented);
    const hit = keys.get(hash);
    if (hit && hit.until > Date.now()) return hit.accountId;
    const doc = await acrossAccounts(() => deps.models.ApiKey.findOne({ hash }, { accountId: 1, hash: 1, revokedAt: 1 }).lean());
    const valid = doc && !doc.revokedAt && timingSafeEqualStrings(doc.hash, hash) && (await accountLive(doc.accountId));
    const accountId = valid ? doc.accountId : null;
    if (keys.size > 10_000) keys.clear();
    keys.set(hash, { accountId, until: Date.now() + KEY_CACHE_MS });
    return accountId;
  }

  async function accountLive(id: string): Promise<boolean> {
    const hit = accounts.get(id);
    if (hit && hit.until > Date.now()) return hit.live;
    const live = await accountIsLive(deps.models, id);
    if (accounts.size > 10_000) accounts.clear();
    accounts.set(id, { live, until: Date.now() + KEY_CACHE_MS });
    return live;
  }

  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const presented = match?.[1] ?? '';
    let admin = false;
    for (const key of deps.apiKeys) admin = timingSafeEqualStrings(key, presented) || admin;
    const named = req.headers[ACCOUNT_HEADER];
    if (Array.isArray(named)) throw new HeraldError(400, ErrorCodes.validation, 'Herald-Account must be given once', [{ path: 'Herald-Account', message: 'must be given once' }]);
    if (admin && match) {
      if (named !== undefined && !(await accountLive(named))) throw notFound('Account');
      res.locals.caller = { accountId: named ?? DEFAULT_ACCOUNT, admin: true } satisfies Caller;
      return next();
    }
    const accountId = match && presented.startsWith('hk_') ? await accountKey(presented) : null;
    if (!accountId) throw unauthorized();
    if (named !== undefined && named !== accountId) {
      throw new HeraldError(400, ErrorCodes.validation, 'An account key acts on its own account only', [
        { path: 'Herald-Account', message: 'must name the key\'s own account, or be left out' },
      ]);
    }
    res.locals.caller = { accountId, admin: false } satisfies Caller;
    next();
  };
}

/** After the body parser (whose stream events lose the async context): the rest of the request runs in the caller's account. */
export function scopeToAccount(): RequestHandler {
  return (_req, res, next) => inAccount(callerOf(res).accountId, () => next());
}

/** For `/v1/accounts*`: admin keys only. */
export function adminOnly(): RequestHandler {
  return (_req, res, next) => {
    if (!callerOf(res).admin) throw forbidden('Accounts are managed with an admin key');
    next();
  };
}
