/**
 * The purge's flow-control step on the real stack (FerretDB through mongoose): endpoint health of a
 * live, a soft-deleted and a never-existing webhook, and delivery permits of every kind, expired
 * and live, written directly in MongoDB; the activity deletes exactly the ones that can never
 * matter again (src/flow-control/housekeeping.ts), and the purge job and `herald purge` report it.
 */
import { cliEnv, runCli } from '../helpers/cli';
import type { DeliveryPermitDoc } from '../../src/models/delivery-permit';
import { eventually, useHeraldAndReceiver } from '../helpers/herald';
import { createLogger } from '../../src/logger';
import { createPurgeActivities } from '../../activities/purge';
import { purgeScheduleId } from '../../src/purge-schedule';

const { h, receiver } = useHeraldAndReceiver();
const HOUR = 3600_000;

/** A webhook through the API; `deleted`: then deleted through the API (soft, `deletedAt`). */
async function webhook(name: string, opts: { deleted?: boolean } = {}): Promise<string> {
  const created = await h.api('POST', '/v1/webhooks', { name, eventTypes: [`housekeeping.${name}`], url: `${receiver.url}/${name}` });
  expect(created.status).toBe(201);
  if (opts.deleted) expect((await h.api('DELETE', `/v1/webhooks/${created.body.id}`)).status).toBe(204);
  return created.body.id;
}

/** A permit named as limits.ts and endpoint-health.ts name them (they are taken by inserting). */
async function permit(webhookId: string, kind: DeliveryPermitDoc['kind'], name: string, fields: { n?: number; until?: Date } = {}): Promise<string> {
  const _id = `${webhookId}:${name}`;
  await h.models.DeliveryPermit.create({ _id, webhookId, kind, n: fields.n ?? 0, until: fields.until ?? null, holder: kind === 'lease' ? 'test' : null });
  return _id;
}

const purgeFlowControlState = () => createPurgeActivities({ models: h.models, logger: createLogger('silent'), retentionSeconds: 30 * 86400 }).purgeFlowControlState();

async function permitIds(): Promise<string[]> {
  return (await h.models.DeliveryPermit.find({}, { _id: 1 }).lean()).map((p) => p._id as string).sort();
}

beforeAll(async () => {
  // The hourly run must not purge this file's documents between its writes and its assertions.
  await h.temporal.client.schedule.getHandle(purgeScheduleId(h.config.temporal.taskQueue)).pause('paused by the flow-control purge test');
});

test('deletes health of deleted webhooks and exactly the permits that can never matter again, with counts', async () => {
  const live = await webhook('live');
  const deleted = await webhook('deleted', { deleted: true });
  const missing = 'wh_never_existed';
  const T = Date.now();
  const at = (ms: number) => new Date(T + ms);
  const second = (ms: number) => Math.floor((T + ms) / 1000); // a per-second window's index
  const minute = (ms: number) => Math.floor((T + ms) / 60_000); // a per-minute window's index

  // `live`'s circuit is open, its probe period claimed 2 h ago by a worker that died (still its current period).
  const nextProbeAt = at(-3 * HOUR);
  await h.models.WebhookHealth.create({ _id: live, state: 'open', since: at(-4 * HOUR), consecutiveFailures: 12, nextProbeAt });
  await h.models.WebhookHealth.create({ _id: deleted, state: 'open', consecutiveFailures: 3 });
  await h.models.WebhookHealth.create({ _id: missing, consecutiveFailures: 1 });

  const kept = [
    await permit(live, 'report', 'report:circuit_opened:2', { until: at(HOUR) }),
    // Per-second windows: ended 45 s ago (within the minute's grace), and the current one.
    await permit(live, 'rate', `r:${second(-46_000)}:0`, { n: second(-46_000) }),
    await permit(live, 'rate', `r:${second(0)}:0`, { n: second(0) }),
    // The current per-minute window (its index read as a per-second one ended in 1970).
    await permit(live, 'rate', `r:${minute(0)}:0`, { n: minute(0) }),
    // Expired 10 min ago (not yet an hour), and held.
    await permit(live, 'lease', 'c:1', { n: 1, until: at(-10 * 60_000) }),
    await permit(live, 'lease', 'c:2', { n: 2, until: at(60_000) }),
    // A takeover of a lease that expired 10 min ago: takers that read it may still race.
    await permit(live, 'takeover', `c:1:takeover:${at(-10 * 60_000).getTime()}`, { n: 1, until: at(-10 * 60_000) }),
    // The circuit's current period, however old; an old period expired only 10 min ago.
    await permit(live, 'probe', `probe:open:${nextProbeAt.getTime()}`, { until: at(-2 * HOUR) }),
    await permit(live, 'probe', `probe:half-open:${at(-5 * HOUR).getTime()}`, { until: at(-10 * 60_000) }),
    // Gone webhooks' resends still take leases and rate permits: the held ones and live windows stay.
    await permit(deleted, 'lease', 'c:0', { n: 0, until: at(60_000) }),
    await permit(deleted, 'rate', `r:${second(0)}:0`, { n: second(0) }),
    await permit(missing, 'rate', `r:${minute(0)}:0`, { n: minute(0) }),
  ];
  const gone = [
    await permit(live, 'report', 'report:circuit_opened:1', { until: at(-1000) }),
    // A per-second window ended 75 s ago, a per-minute one that ended at least a minute ago.
    await permit(live, 'rate', `r:${second(-76_000)}:0`, { n: second(-76_000) }),
    await permit(live, 'rate', `r:${minute(-120_000)}:0`, { n: minute(-120_000) }),
    await permit(live, 'lease', 'c:0', { n: 0, until: at(-2 * HOUR) }),
    await permit(live, 'takeover', `c:0:takeover:${at(-2 * HOUR).getTime()}`, { n: 0, until: at(-2 * HOUR) }),
    await permit(live, 'probe', `probe:open:${at(-4 * HOUR).getTime()}`, { until: at(-2 * HOUR) }),
    await permit(deleted, 'lease', 'c:1', { n: 1, until: at(-60_000) }),
    await permit(deleted, 'report', 'report:circuit_opened:1', { until: at(HOUR) }),
    await permit(deleted, 'probe', 'probe:open:1', { until: at(60_000) }),
    await permit(deleted, 'rate', `r:${minute(-120_000)}:0`, { n: minute(-120_000) }),
    await permit(missing, 'report', 'report:disabled:1', { until: at(HOUR) }),
    await permit(missing, 'probe', 'probe:open:1', { until: at(HOUR) }),
  ];
  expect(await permitIds()).toEqual([...kept, ...gone].sort());

  const result = await purgeFlowControlState();
  expect(await permitIds()).toEqual([...kept].sort());
  expect((await h.models.WebhookHealth.find({}, { _id: 1 }).lean()).map((d) => d._id)).toEqual([live]);
  expect(result).toEqual({ healthDocs: 2, permits: 12, permitsByKind: { rate: 3, lease: 2, probe: 3, report: 3, takeover: 1 } });
  // The live webhook's health is untouched.
  expect(await h.models.WebhookHealth.findById(live).lean()).toMatchObject({ state: 'open', consecutiveFailures: 12, nextProbeAt });

  // Nothing left to delete: a second run (a retried activity) deletes nothing more.
  expect(await purgeFlowControlState()).toEqual({ healthDocs: 0, permits: 0, permitsByKind: { rate: 0, lease: 0, probe: 0, report: 0, takeover: 0 } });
  expect(await permitIds()).toEqual([...kept].sort());
});

test('the purge job and `herald purge` report what the flow-control step deleted', async () => {
  await h.models.WebhookHealth.create({ _id: 'wh_gone_job', consecutiveFailures: 1 });
  await h.models.DeliveryPermit.create({ _id: 'wh_gone_job:report:x', webhookId: 'wh_gone_job', kind: 'report', n: 0, until: new Date(Date.now() + HOUR) });
  const started = await h.api('POST', '/v1/retention/purge', {});
  expect(started.status).toBe(202);
  const job = await eventually(async () => {
    const r = await h.api('GET', `/v1/retention/purge/${started.body.jobId}`);
    return r.body.status !== 'running' && r.body;
  }, 30_000, 'the purge job');
  expect(job.status).toBe('completed');
  expect(job.result).toMatchObject({ notifications: 0, events: 0, healthDocs: 1, permits: 1 });
  expect(await h.models.WebhookHealth.findById('wh_gone_job').lean()).toBeNull();

  await h.models.WebhookHealth.create({ _id: 'wh_gone_cli', consecutiveFailures: 1 });
  const run = await runCli(cliEnv(h), 'purge');
  expect(run).toMatchObject({ code: 0, stderr: '' });
  expect(run.stdout).toContain('removed 1 health record(s) of deleted webhooks and 0 delivery permit(s) no longer needed');
});
