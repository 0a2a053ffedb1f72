/**
 * The retention purge's activities: the cutoff (from this worker's HERALD_RETENTION and clock, so
 * the workflow stays deterministic), one batch of deletions each (src/retention.ts), and the
 * flow-control state no longer needed (src/flow-control/housekeeping.ts). Each is short and
 * idempotent: a retry after a crash deletes what is still there.
 *
 * Paced: after a batch, an activity waits as long as the batch took (up to PACE_MAX_MS), so the
 * purge holds the store at most about half the time and deliveries' writes get the rest. The
 * accounts to walk (those holding data, each with its cutoff) are found once per run and cutoff,
 * and an account found done is not asked again: a batch costs a few index searches, not one per
 * account.
 */
import type { ActivityDeps } from './index';
import type { PurgeBatchInput, PurgeBatchResult, PurgeCutoff } from '../workflows/shared';
import { accountCutoffs, purgeEventBatch, purgeNotificationBatch, retentionCutoff, type AccountCutoff } from '../src/retention';
import { trimStreamLog } from '../src/stream/trim';
import { purgeFlowControlState, type FlowControlPurge } from '../src/flow-control/housekeeping';

/** The longest pause between two batches. */
const PACE_MAX_MS = 2_000;
/** Account lists kept per cutoff this long (a run lasts minutes; a later run has a later cutoff). */
const ACCOUNTS_TTL_MS = 3_600_000;

export function createPurgeActivities(deps: Pick<ActivityDeps, 'models' | 'logger' | 'retentionSeconds'>) {
  // The accounts still to purge, per collection and cutoff; read again when missing (another worker, a restart).
  const walks = new Map<string, { at: number; accounts: Promise<AccountCutoff[]> }>();
  const accountsFor = (model: 'Notification' | 'Event', cutoff: string): Promise<AccountCutoff[]> => {
    const now = Date.now();
    for (const [key, w] of walks) if (now - w.at > ACCOUNTS_TTL_MS) walks.delete(key);
    const key = `${model}:${cutoff}`;
    let walk = walks.get(key);
    if (!walk) {
      walk = { at: now, accounts: accountCutoffs(deps.models, deps.models[model] as never, new Date(cutoff), deps.retentionSeconds) };
      walk.accounts.catch(() => walks.delete(key));
      walks.set(key, walk);
    }
    return walk.accounts;
  };
  const paced = async <T>(batch: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await batch();
    await new Promise((resolve) => setTimeout(resolve, Math.min(PACE_MAX_MS, Date.now() - started)));
    return result;
  };
  return {
    async purgeCutoff(): Promise<PurgeCutoff> {
      return { cutoff: retentionCutoff(deps.retentionSeconds).toISOString(), retentionSeconds: deps.retentionSeconds };
    },
    async purgeNotifications(input: PurgeBatchInput): Promise<PurgeBatchResult> {
      const result = await paced(async () => purgeNotificationBatch(deps.models, input, await accountsFor('Notification', input.cutoff)));
      if (result.deleted) deps.logger.info({ cutoff: input.cutoff, deleted: result.deleted }, 'purged notifications past the retention');
      return result;
    },
    async purgeEvents(input: PurgeBatchInput): Promise<PurgeBatchResult> {
      // The events' walk is carried by the workflow (`after` names its account): the list is only where the accounts are.
      const accounts = await accountsFor('Event', input.cutoff);
      const result = await paced(() => purgeEventBatch(deps.models, input, accounts));
      if (result.deleted) deps.logger.info({ cutoff: input.cutoff, deleted: result.deleted }, 'purged events past the retention');
      // The last batch (a short one): the stream log's claims past the retention go too (src/stream/trim.ts).
      if (result.scanned < input.limit) {
        walks.delete(`Event:${input.cutoff}`);
        walks.delete(`Notification:${input.cutoff}`);
        const claims = await trimStreamLog(deps.models, new Date(input.cutoff), deps.retentionSeconds);
        if (claims) deps.logger.info({ cutoff: input.cutoff, claims }, 'trimmed the stream log past the retention');
      }
      return result;
    },
    /** Not tied to the cutoff: what it deletes is judged by this worker's clock now. */
    async purgeFlowControlState(): Promise<FlowControlPurge> {
      const result = await purgeFlowControlState(deps.models);
      if (result.healthDocs || result.permits) deps.logger.info({ ...result }, 'purged flow-control state no longer needed');
      return result;
    },
  };
}
