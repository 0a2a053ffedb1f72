/**
 * Bearer API keys, compared in constant time against every configured key (no early exit), and
 * the same 401 for a missing and a wrong key. Keys are never logged (see logger redaction).
 */
import type { RequestHandler } from 'express';
import { unauthorized } from '../errors';
import { timingSafeEqualStrings } from '../crypto/secrets';

export function apiKeyAuth(keys: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const presented = match?.[1] ?? '';
    let ok = false;
    for (const key of keys) ok = timingSafeEqualStrings(key, presented) || ok;
    next(ok && match ? undefined : unauthorized());
  };
}
