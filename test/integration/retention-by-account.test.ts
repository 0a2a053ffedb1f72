/**
 * The retention purge account by account (src/retention.ts): each account by its own cutoff (an
 * account with a longer retention keeps what the default would delete, one with a shorter one loses
 * more), batches that stop where the limit falls and go on from there across accounts, the entity
 * links of what goes deleted with it, and a dry run that stops counting at its limit and says so.
 */
import { acrossAccounts, inAccount } from '../../src/accounts/scope';
import { entityLinks } from '../../src/models/entity-link';
import { accountCutoffs, countPurgeable, purgeEventBatch, purgeNotificationBatch, retentionCutoff, type AccountCutoff } from '../../src/retention';
import type { PurgeBatchInput } from '../../workflows/shared';
import { startTestHerald, type TestHerald } from '../helpers/herald';

const DAY = 86400_000;
const RETENTION = 30 * 86400;
const ago = (days: number) => new Date(Date.now() - days * DAY);

let h: TestHerald;
beforeAll(async () => {
  h = await startTestHerald({ worker: false });
  await h.models.Account.create([
    { _id: 'acc_keeps', name: 'keeps 90 days', retentionSeconds: 90 * 86400 },
    { _id: 'acc_short', name: 'keeps 7 days', retentionSeconds: 7 * 86400 },
  ]);
});
afterAll(async () => h?.stop());

/** An event of `account` accepted `days` ago, dispatched, with its entity links. */
async function oldEvent(account: string, id: string, days: number) {
  await inAccount(account, async () => {
    await h.models.Event.create({ _id: id, type: 'retention.test', occurredAt: ago(days), dedupeKey: `id:${id}`, dispatchedAt: ago(days), notificationCount: 1, entityIds: ['loan-1'] });
    await h.models.EntityLink.insertMany(entityLinks('evt', id, ago(days), ['loan-1']));
  });
  await acrossAccounts(() => h.models.Event.collection.updateOne({ _id: id } as object, { $set: { createdAt: ago(days), updatedAt: ago(days) } }));
}

/** A sent notification of `eventId`, idle for `days`, with its entity link. */
async function oldNotification(account: string, id: string, eventId: string, days: number) {
  await inAccount(account, async () => {
    await h.models.Notification.create({ _id: id, eventId, eventType: 'retention.test', webhookId: 'wh_gone', webhookName: 'gone', status: 'sent', workflowId: `notification-${id}`, entityIds: ['loan-1'] });
    await h.models.EntityLink.insertMany(entityLinks('ntf', id, ago(days), ['loan-1']));
  });
  await acrossAccounts(() => h.models.Notification.collection.updateOne({ _id: id } as object, { $set: { createdAt: ago(days), updatedAt: ago(days) } }));
}

const all = async (model: 'Event' | 'Notification' | 'EntityLink') =>
  (await acrossAccounts(() => (h.models[model] as typeof h.models.Event).find({}, { _id: 1 }).lean())).map((d) => d._id).sort();

test('each account by its own cutoff, in batches across accounts, with the entity links of what goes', async () => {
  // 40 days old: past the default's 30, within acc_keeps' 90. 10 days: only acc_short's 7.
  for (const [account, prefix] of [['default', 'd'], ['acc_keeps', 'k'], ['acc_short', 's']] as const) {
    for (const days of [40, 10, 1]) {
      await oldEvent(account, `evt_${prefix}${days}`, days);
      await oldNotification(account, `ntf_${prefix}${days}`, `evt_${prefix}${days}`, days);
    }
  }
  const cutoff = retentionCutoff(RETENTION);
  const accounts = await acrossAccounts(() => accountCutoffs(h.models, h.models.Notification as never, cutoff, RETENTION));
  expect(accounts.map(([id]) => id)).toEqual(['acc_keeps', 'acc_short', 'default']);
  const cutoffOf = new Map(accounts);
  expect(cutoffOf.get('default')).toEqual(cutoff);
  expect(cutoffOf.get('acc_keeps')!.getTime()).toBe(cutoff.getTime() - 60 * DAY);
  expect(cutoffOf.get('acc_short')!.getTime()).toBe(cutoff.getTime() + 23 * DAY);

  // Batches of 2: the first takes acc_short's two, the second default's one and finds the walk done.
  const input: PurgeBatchInput = { cutoff: cutoff.toISOString(), limit: 2 };
  const queue: AccountCutoff[] = [...accounts];
  const first = await acrossAccounts(() => purgeNotificationBatch(h.models, input, queue));
  expect(first).toEqual({ scanned: 2, deleted: 2 });
  const second = await acrossAccounts(() => purgeNotificationBatch(h.models, input, queue));
  expect(second).toEqual({ scanned: 1, deleted: 1 });
  expect(queue).toEqual([]);

  let after: PurgeBatchInput['after'] = null;
  let events = 0;
  for (;;) {
    const batch = await acrossAccounts(() => purgeEventBatch(h.models, { ...input, after }, accounts));
    events += batch.deleted;
    after = batch.next ?? after;
    if (batch.scanned < input.limit) break;
  }
  expect(events).toBe(3);
  const kept = ['k40', 'k10', 'k1', 's1', 'd10', 'd1'];
  expect(await all('Notification')).toEqual(kept.map((k) => `ntf_${k}`).sort());
  expect(await all('Event')).toEqual(kept.map((k) => `evt_${k}`).sort());
  // Links only of what is still stored.
  expect(await all('EntityLink')).toEqual(kept.flatMap((k) => [`evt_${k}|loan-1`, `ntf_${k}|loan-1`]).sort());
});

test('the dry run stops counting at its limit and says the counts are lower bounds', async () => {
  for (let i = 0; i < 5; i++) {
    await oldEvent('default', `evt_bulk${i}`, 50);
    await oldNotification('default', `ntf_bulk${i}`, `evt_bulk${i}`, 50);
  }
  const cutoff = retentionCutoff(RETENTION);
  // Every event has a notification still stored: a purge now would delete the notifications first, then them.
  expect(await countPurgeable(h.models, cutoff)).toEqual({ notifications: 5, events: 5, exact: true });
  expect(await countPurgeable(h.models, cutoff, 3, 2)).toEqual({ notifications: 3, events: 3, exact: false });
});
