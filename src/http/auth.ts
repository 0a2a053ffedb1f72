/**
 * Who is calling, and for which account. An admin key (HERALD_API_KEYS or the embedded stack's
 * generated key) acts on the account `default`, or on the one named by `Herald-Account`; an account
 * key (stored hashed, src/models/api-key.ts) acts on its own account only. Admin keys are compared in
 * constant time against every configured key (no early exit); an account key is found by its hash.
 * A missing, malformed, unknown or revoked key gets the same 401. Keys are never logged.
 *
 * Resolutions are cached per process for at most KEY_CACHE_MS, so a revoked key (or a deleted
 * account) is refused by every API process within that time. Each cached resolution remembers when
 * its read started, and concurrent askers share one read: an open stream asks again on a short
 * clock (`recheckOf`, src/stream/streamer.ts) with a fresher bound than a request's, at the cost of
 * one read per key per process whatever the number of its streams.
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

/** A value read from MongoDB, and when that read started: it held at `at` or later. */
export interface Checked<T> {
  value: T;
  at: number;
}

/**
 * Reads by key, each remembered with the time it started. `get(key, notBefore)` answers from a read
 * that started at `notBefore` or later: the remembered one, the one running, else a new one (so
 * every asker of a key shares one read at a time).
 */
export class CheckedReads<T> {
  private readonly done = new Map<string, Checked<T>>();
  private readonly running = new Map<string, { at: number; read: Promise<Checked<T>> }>();

  constructor(private readonly load: (key: string) => Promise<T>) {}

  get(key: string, notBefore: number): Promise<Checked<T>> {
    const hit = this.done.get(key);
    if (hit && hit.at >= notBefore) return Promise.resolve(hit);
    const run = this.running.get(key);
    if (run && run.at >= notBefore) return run.read;
    const at = Date.now();
    const read: Promise<Checked<T>> = this.load(key)
      .then((value) => {
        const checked = { value, at };
        if (!((this.done.get(key)?.at ?? -1) > at)) {
          if (this.done.size >= 10_000) this.done.clear();
          this.done.set(key, checked);
        }
        return checked;
      })
      .finally(() => {
        if (this.running.get(key)?.read === read) this.running.delete(key);
      });
    this.running.set(key, { at, read });
    return read;
  }
}

/**
 * Whether the request's key still acts on its account, read at `at` (at `notBefore` or later): an
 * account key not revoked, its account not deleted; for an admin key, the account it names not deleted.
 */
export type Recheck = (notBefore: number) => Promise<{ ok: boolean; at: number }>;

export function recheckOf(res: Response): Recheck {
  return res.locals.recheck as Recheck;
}

export function apiKeyAuth(deps: AuthDeps): RequestHandler {
  const accounts = new CheckedReads<boolean>((id) => accountIsLive(deps.models, id));
  const keys = new CheckedReads<string | null>(async (hash) => {
    const doc = await acrossAccounts(() => deps.models.ApiKey.findOne({ hash }, { accountId: 1, hash: 1, revokedAt: 1 }).lean());
    return doc && !doc.revokedAt && timingSafeEqualStrings(doc.hash, hash) ? doc.accountId : null;
  });

  /** The account of a key (null: unknown, revoked, or its account deleted), read at `at` or later. */
  async function accountKey(hash: string, notBefore: number): Promise<Checked<string | null>> {
    const key = await keys.get(hash, notBefore);
    if (!key.value) return key;
    const live = await accountLive(key.value, notBefore);
    return { value: live.value ? key.value : null, at: Math.min(key.at, live.at) };
  }

  function accountLive(id: string, notBefore: number): Promise<Checked<boolean>> {
    return id === DEFAULT_ACCOUNT ? Promise.resolve({ value: true, at: Date.now() }) : accounts.get(id, notBefore);
  }

  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const presented = match?.[1] ?? '';
    let admin = false;
    for (const key of deps.apiKeys) admin = timingSafeEqualStrings(key, presented) || admin;
    const named = req.headers[ACCOUNT_HEADER];
    if (Array.isArray(named)) throw new HeraldError(400, ErrorCodes.validation, 'Herald-Account must be given once', [{ path: 'Herald-Account', message: 'must be given once' }]);
    const cached = Date.now() - KEY_CACHE_MS;
    if (admin && match) {
      const accountId = named ?? DEFAULT_ACCOUNT;
      if (!(await accountLive(accountId, cached)).value) throw notFound('Account');
      res.locals.caller = { accountId, admin: true } satisfies Caller;
      res.locals.recheck = (async (notBefore) => {
        const live = await accountLive(accountId, notBefore);
        return { ok: live.value, at: live.at };
      }) satisfies Recheck;
      return next();
    }
    const hash = match && presented.startsWith('hk_') ? hashApiKey(presented) : null;
    const accountId = hash ? (await accountKey(hash, cached)).value : null;
    if (!hash || !accountId) throw unauthorized();
    if (named !== undefined && named !== accountId) {
      throw new HeraldError(400, ErrorCodes.validation, 'An account key acts on its own account only', [
        { path: 'Herald-Account', message: 'must name the key\'s own account, or be left out' },
      ]);
    }
    res.locals.caller = { accountId, admin: false } satisfies Caller;
    res.locals.recheck = (async (notBefore) => {
      const now = await accountKey(hash, notBefore);
      return { ok: now.value === accountId, at: now.at };
    }) satisfies Recheck;
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
