/**
 * The retention purge's activities: the cutoff (from this worker's HERALD_RETENTION and clock, so
 * the workflow stays deterministic), one batch of deletions each (src/retention.ts), and the
 * flow-control state no longer needed (src/flow-control/housekeeping.ts). Each is short and
 * idempotent: a retry after a crash deletes what is still there.
 */
import type { ActivityDeps } from './index';
import type { PurgeBatchInput, PurgeBatchResult, PurgeCutoff } from '../workflows/shared';
import { accountCutoffs, purgeEventBatch, purgeNotificationBatch, retentionCutoff } from '../src/retention';
import { trimStreamLog } from '../src/stream/trim';
import { purgeFlowControlState, type FlowControlPurge } from '../src/flow-control/housekeeping';

export function createPurgeActivities(deps: Pick<ActivityDeps, 'models' | 'logger' | 'retentionSeconds'>) {
  // Accounts with their own retention (read on each batch: a change applies from the next one).
  const overrides = (input: PurgeBatchInput) => accountCutoffs(deps.models, new Date(input.cutoff), deps.retentionSeconds);
  return {
    async purgeCutoff(): Promise<PurgeCutoff> {
      return { cutoff: retentionCutoff(deps.retentionSeconds).toISOString(), retentionSeconds: deps.retentionSeconds };
    },
    async purgeNotifications(input: PurgeBatchInput): Promise<PurgeBatchResult> {
      const result = await purgeNotificationBatch(deps.models, input, await overrides(input));
      if (result.deleted) deps.logger.info({ cutoff: input.cutoff, deleted: result.deleted }, 'purged notifications past the retention');
      return result;
    },
    async purgeEvents(input: PurgeBatchInput): Promise<PurgeBatchResult> {
      const accounts = await overrides(input);
      const result = await purgeEventBatch(deps.models, input, accounts);
      if (result.deleted) deps.logger.info({ cutoff: input.cutoff, deleted: result.deleted }, 'purged events past the retention');
      // The last batch (a short one): the stream log's claims past the retention go too (src/stream/trim.ts).
      if (result.scanned < input.limit) {
        const claims = await trimStreamLog(deps.models, new Date(input.cutoff), accounts);
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
