/**
 * Retention on the real stack: events and notifications backdated directly in MongoDB (old and
 * new, final and still in their round), a real delivery beside them, then the dry run through the
 * API and `herald purge --dry-run`, the purge through the API job, the workflow in small batches
 * and `herald purge`; exactly the old final notifications and the old events left with none are
 * gone. The worker's `herald-purge` schedule and the embedded namespace's history retention too.
 */
import { cliEnv, runCli } from '../helpers/cli';
import { eventually, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';
import { ensurePurgeSchedule, purgeScheduleId } from '../../src/purge-schedule';
import { PURGE_WORKFLOW, purgeWorkflowId, type PurgeResult } from '../../workflows/shared';

const DAY = 86400_000;
const { h, receiver } = useHeraldAndReceiver();

const ago = (days: number) => new Date(Date.now() - days * DAY);

const herald = (...args: string[]) => runCli(cliEnv(h), ...args);

/** An event accepted `days` ago (timestamps written past mongoose, which would set them to now). */
async function oldEvent(id: string, days: number, opts: { dispatched?: boolean } = {}) {
  await h.models.Event.create({ _id: id, type: 'retention.test', occurredAt: ago(days), dedupeKey: `id:${id}`, dispatchedAt: opts.dispatched === false ? null : ago(days), notificationCount: 0 });
  await h.models.Event.collection.updateOne({ _id: id } as object, { $set: { createdAt: ago(days), updatedAt: ago(days) } });
}

/** A notification of `eventId` in `status`, created 40 days ago, last touched `idleDays` ago. */
async function oldNotification(id: string, eventId: string, status: string, idleDays: number) {
  await h.models.Notification.create({ _id: id, eventId, eventType: 'retention.test', webhookId: 'wh_gone', webhookName: 'gone', status, workflowId: `notification-${id}` });
  await h.models.Notification.collection.updateOne({ _id: id } as object, { $set: { createdAt: ago(40), updatedAt: ago(idleDays) } });
}

async function ids(model: 'Event' | 'Notification'): Promise<string[]> {
  const docs = await (h.models[model] as typeof h.models.Event).find({}, { _id: 1 }).lean();
  return docs.map((d) => d._id).sort();
}

test('the worker created the herald-purge schedule (hourly, skip on overlap); more workers starting at once leave the same one', async () => {
  const id = purgeScheduleId(h.config.temporal.taskQueue);
  expect(id).toBe(`herald-purge-${h.config.temporal.taskQueue}`);
  const view = await h.api('GET', '/v1/retention');
  expect(view.status).toBe(200);
  expect(view.body.schedule).toMatchObject({ id, paused: false });
  const next = Date.parse(view.body.schedule.nextRunAt);
  expect(next).toBeGreaterThan(Date.now() - 60_000);
  expect(next).toBeLessThanOrEqual(Date.now() + 3600_000);
  // npm start set the embedded namespace's history retention from HERALD_RETENTION (test/helpers/global-setup.ts does the same).
  expect(view.body.temporal).toEqual({ namespace: 'default', historyRetentionSeconds: 30 * 86400 });

  const handle = h.temporal.client.schedule.getHandle(id);
  // Its action runs: a triggered run purges (nothing yet) and says so on the API.
  await handle.trigger();
  const action = await eventually(async () => (await handle.describe()).info.recentActions[0]?.action, 30_000, 'the triggered run');
  expect(action.workflow.workflowId).toMatch(new RegExp(`^${id}-`));
  const scheduled = (await h.temporal.client.workflow.getHandle(action.workflow.workflowId).result()) as PurgeResult;
  expect(scheduled).toMatchObject({ retentionSeconds: 30 * 86400, notifications: 0, events: 0 });
  expect(Date.parse((await h.api('GET', '/v1/retention')).body.schedule.lastRunAt)).toBeGreaterThan(Date.now() - 60_000);

  // An operator's pause survives workers starting (and keeps the hourly run out of this file's counts).
  await handle.pause('paused by the retention test');
  const results = await Promise.all([1, 2, 3].map(() => ensurePurgeSchedule(h.temporal.client, h.config.temporal.taskQueue)));
  expect(results).toEqual(['updated', 'updated', 'updated']);
  const d = await handle.describe();
  expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: PURGE_WORKFLOW, taskQueue: h.config.temporal.taskQueue });
  expect(d.policies.overlap).toBe('SKIP');
  expect(d.spec.intervals).toEqual([{ every: 3600_000 }]);
  expect(d.state.paused).toBe(true);
});

test('dry run counts, the purge deletes exactly the old final notifications and the old events left with none', async () => {
  await h.temporal.client.schedule.getHandle(purgeScheduleId(h.config.temporal.taskQueue)).pause().catch(() => {});
  // A real delivery now: new, stays.
  const hook = await h.api('POST', '/v1/webhooks', { name: 'retention', eventTypes: ['retention.live'], url: `${receiver.url}/live` });
  expect(hook.status).toBe(201);
  const live = await h.api('POST', '/v1/events', { type: 'retention.live', data: {} });
  const liveNotification = live.body.notifications[0].id as string;
  await waitForStatus(h, liveNotification, ['sent']);

  await oldEvent('evt_a', 40); // all its notifications go: goes
  await oldNotification('ntf_a1', 'evt_a', 'sent', 40);
  await oldNotification('ntf_a2', 'evt_a', 'failed', 35);
  await oldEvent('evt_b', 40); // one notification still in its round: stays
  await oldNotification('ntf_b1', 'evt_b', 'sent', 40);
  await oldNotification('ntf_b2', 'evt_b', 'retrying', 40);
  await oldEvent('evt_c', 40); // resent 5 days ago: stays with its event
  await oldNotification('ntf_c1', 'evt_c', 'cancelled', 5);
  await oldEvent('evt_d', 40); // matched no webhook: goes
  await oldEvent('evt_e', 40, { dispatched: false }); // the dispatch sweeper's: stays
  await oldEvent('evt_g', 40); // never attempted: stays
  await oldNotification('ntf_g1', 'evt_g', 'pending', 40);
  await oldEvent('evt_f', 2); // new: stays
  await oldNotification('ntf_f1', 'evt_f', 'sent', 2);
  const before = { events: await ids('Event'), notifications: await ids('Notification') };

  const dry = await h.api('GET', '/v1/retention');
  expect(dry.status).toBe(200);
  expect(dry.body).toMatchObject({ retentionSeconds: 30 * 86400, retention: '30d', wouldPurge: { notifications: 3, events: 2 } });
  expect(Math.abs(Date.parse(dry.body.cutoff) - ago(30).getTime())).toBeLessThan(60_000);
  const cli = await herald('purge', '--dry-run');
  expect(cli.stderr).toBe('');
  expect(cli.code).toBe(0);
  expect(cli.stdout).toMatch(/^retention 30d \(HERALD_RETENTION\): cutoff \d{4}-\d\d-\d\dT/);
  expect(cli.stdout).toContain('would purge 3 notification(s) and 2 event(s) (dry run: nothing deleted)');
  expect(cli.stdout).toContain(`schedule ${purgeScheduleId(h.config.temporal.taskQueue)} (paused)`);
  expect(cli.stdout).toContain('Temporal namespace default keeps closed histories 30d');
  // A dry run deletes nothing.
  expect({ events: await ids('Event'), notifications: await ids('Notification') }).toEqual(before);

  const started = await h.api('POST', '/v1/retention/purge', {});
  expect(started.status).toBe(202);
  const job = await eventually(async () => {
    const r = await h.api('GET', `/v1/retention/purge/${started.body.jobId}`);
    return r.body.status === 'completed' ? r.body : null;
  }, 30_000, 'the purge job');
  expect(job.result).toMatchObject({ retentionSeconds: 30 * 86400, notifications: 3, events: 2 });
  expect(await ids('Notification')).toEqual(['ntf_b2', 'ntf_c1', 'ntf_f1', 'ntf_g1', liveNotification].sort());
  expect(await ids('Event')).toEqual(['evt_b', 'evt_c', 'evt_e', 'evt_f', 'evt_g', live.body.id].sort());
  expect((await h.api('GET', '/v1/retention')).body.wouldPurge).toEqual({ notifications: 0, events: 0 });

  // Many more old ones, in batches of 2 on the real stack: every batch loops until a short one.
  for (let i = 0; i < 5; i++) {
    await oldEvent(`evt_h${i}`, 50);
    await oldNotification(`ntf_h${i}`, `evt_h${i}`, 'sent', 50);
  }
  const batched = (await h.temporal.client.workflow.execute(PURGE_WORKFLOW, {
    taskQueue: h.config.temporal.taskQueue,
    workflowId: purgeWorkflowId('job_retention_batches'),
    args: [{ batchSize: 2 }],
  })) as PurgeResult;
  expect(batched).toMatchObject({ notifications: 5, events: 5 });
  expect(await ids('Event')).toEqual(['evt_b', 'evt_c', 'evt_e', 'evt_f', 'evt_g', live.body.id].sort());

  const run = await herald('purge');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/purge job job_\w+ started/);
  expect(run.stdout).toMatch(/purged 0 notification\(s\) and 0 event\(s\) idle since before \d{4}-.* \(retention 30d\)/);
  expect(await ids('Notification')).toHaveLength(5);

  // The live notification is still readable, and its job view answers a 404 for unknown jobs.
  expect((await h.api('GET', `/v1/notifications/${liveNotification}`)).status).toBe(200);
  expect((await h.api('GET', '/v1/retention/purge/job_missing')).status).toBe(404);
  expect((await h.api('POST', '/v1/retention/purge', { dryRun: true })).status).toBe(400);
}, 180_000);
