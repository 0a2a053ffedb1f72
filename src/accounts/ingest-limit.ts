/**
 * An account's `eventsPerSecond`: events beyond it in one second are refused with 429 and
 * `Retry-After`, before anything is stored (so nothing refused was accepted). Counted across every
 * API process with the rate permits webhooks use (src/flow-control/limits.ts), under the subject
 * `ingest:<account>`; the limit itself is read at most once a second per process.
 */
import type { Models } from '../models';
import { HeraldError, ErrorCodes } from '../errors';
import { takeRatePermit } from '../flow-control/limits';

const LIMIT_CACHE_MS = 1000;

export type IngestLimiter = (accountId: string, now?: Date) => Promise<void>;

function rateLimited(retryAfterSeconds: number, limit: number): HeraldError {
  const err = new HeraldError(429, ErrorCodes.rateLimited, `This account accepts at most ${limit} events per second; retry after ${retryAfterSeconds} s`);
  err.retryAfterSeconds = retryAfterSeconds;
  return err;
}

export function createIngestLimiter(models: Pick<Models, 'Account' | 'DeliveryPermit'>): IngestLimiter {
  const limits = new Map<string, { perSecond: number | null; until: number }>();
  return async (accountId, now = new Date()) => {
    let limit = limits.get(accountId);
    if (!limit || limit.until < now.getTime()) {
      const account = await models.Account.findById(accountId, { eventsPerSecond: 1 }).lean();
      limit = { perSecond: account?.eventsPerSecond ?? null, until: now.getTime() + LIMIT_CACHE_MS };
      limits.set(accountId, limit);
    }
    if (!limit.perSecond) return;
    const permit = await takeRatePermit(models, `ingest:${accountId}`, { perSecond: limit.perSecond }, now);
    if (!permit.ok) throw rateLimited(Math.max(1, Math.ceil((permit.retryAt.getTime() - now.getTime()) / 1000)), limit.perSecond);
  };
}
