/**
 * One replay (`POST /v1/events/replay`, `POST /v1/events/{id}/replay`): the API answers 202 at once
 * and this workflow re-runs the fan-out of the matching events, so a long history never times out
 * a request and the job survives a crash of the API or the worker. Deterministic code only; the
 * filter is a few strings.
 */
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ReplayFilter, ReplayResult } from './shared';

type Activities = ReturnType<typeof createActivities>;

const { replayEvents } = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  // The activity heartbeats after each event: a dead worker is noticed within a minute and the
  // retry resumes after the last event it reported.
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  summary: 're-run the fan-out of every matching event',
});

export async function replayWorkflow(filter: ReplayFilter): Promise<ReplayResult> {
  setCurrentDetails('**Replaying…**');
  const result = await replayEvents(filter);
  setCurrentDetails(`**Done:** ${result.created} notification(s) created for ${result.eventsWithNew} of ${result.events} event(s)`);
  return result;
}
