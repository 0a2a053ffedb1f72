/**
 * replayEvents: the work of one replay job, as one long activity that walks the matching events
 * (oldest first) and re-runs each one's fan-out. It heartbeats its position and counts, so a retry
 * after a worker crash resumes after the last event it reported; re-running an event's fan-out is
 * idempotent, so an interrupted event is simply done again.
 */
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './index';
import type { ReplayFilter, ReplayResult } from '../workflows/shared';
import { replayFilterFromInput, replayMany, type ReplayProgress } from '../src/replay';

export function createReplayActivity(deps: Pick<ActivityDeps, 'models' | 'logger' | 'configCache' | 'userAgent'>) {
  return async function replayEvents(filter: ReplayFilter): Promise<ReplayResult> {
    const ctx = Context.current();
    const resumed = ctx.info.heartbeatDetails as ReplayProgress | undefined;
    const temporal = { client: ctx.client, taskQueue: ctx.info.taskQueue };
    const done = await replayMany({ ...deps, temporal }, replayFilterFromInput(filter), {
      notAfter: new Date(filter.notAfter),
      from: resumed,
      onProgress: (p) => ctx.heartbeat(p),
    });
    return { events: done.events, created: done.created, eventsWithNew: done.eventsWithNew };
  };
}
