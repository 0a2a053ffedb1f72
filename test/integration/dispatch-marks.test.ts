/**
 * The events' "dispatched" marks (src/dispatch-marks.ts): marks that arrive while one is being
 * written go together in the next write, each event still gets its own count, in its own account.
 */
import { useHeraldAndReceiver } from '../helpers/herald';
import { markDispatched } from '../../src/dispatch-marks';
import { inAccount } from '../../src/accounts/scope';

const { h } = useHeraldAndReceiver({ worker: false, env: { MONGODB_URI: `${process.env.HERALD_TEST_MONGO_URI_BASE}/herald_test_marks?monitorCommands=true` } });

function countEventUpdates(): { count: number } {
  const seen = { count: 0 };
  h.db.connection.getClient().on('commandStarted', (e: { commandName: string; command: { update?: string } }) => {
    if (e.commandName === 'update' && e.command.update === 'events') seen.count++;
  });
  return seen;
}

async function storeEvents(prefix: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `evt_${prefix}_${i}`);
  await h.models.Event.insertMany(ids.map((_id) => ({ _id, type: 'marks.test', occurredAt: new Date(), dedupeKey: `id:${_id}`, dispatchedAt: null, notificationCount: 0 })));
  return ids;
}

test('marks made while one is written go together, each with its own count and account', async () => {
  const [mine, other] = [await storeEvents('a', 12), await inAccount('acct_marks_other', () => storeEvents('b', 3))];
  const updates = countEventUpdates();

  // All requested in one tick: the first is written alone at once, the rest wait for it and go
  // together, one update per (account, count).
  await Promise.all([
    ...mine.map((id, i) => markDispatched(h.models, id, i < 8 ? 2 : 5)),
    ...other.map((id) => inAccount('acct_marks_other', () => markDispatched(h.models, id, 1))),
  ]);
  expect(updates.count).toBeLessThanOrEqual(4);

  const stored = await h.models.Event.find({ _id: { $in: mine } }, { dispatchedAt: 1, notificationCount: 1 }).lean();
  expect(stored).toHaveLength(12);
  for (const e of stored) {
    expect(e.dispatchedAt).toEqual(expect.any(Date));
    expect(e.notificationCount).toBe(Number(e._id.split('_')[2]) < 8 ? 2 : 5);
  }
  const others = await inAccount('acct_marks_other', () => h.models.Event.find({ _id: { $in: other } }, { dispatchedAt: 1, notificationCount: 1 }).lean());
  expect(others.map((e) => [e.notificationCount, e.dispatchedAt instanceof Date])).toEqual([[1, true], [1, true], [1, true]]);
});

test('a mark alone is written at once, and a failed write fails only its own callers', async () => {
  const [id] = await storeEvents('alone', 1);
  const updates = countEventUpdates();
  await markDispatched(h.models, id, 3);
  expect(updates.count).toBe(1);
  expect((await h.models.Event.findById(id).lean())!.notificationCount).toBe(3);

  // A count the schema refuses fails that group's write; the other group is stored.
  const [good, bad] = await storeEvents('mixed', 2);
  const results = await Promise.allSettled([markDispatched(h.models, good, 1), markDispatched(h.models, bad, 'many' as unknown as number)]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  expect((await h.models.Event.findById(good).lean())!.dispatchedAt).toEqual(expect.any(Date));
  expect((await h.models.Event.findById(bad).lean())!.dispatchedAt).toBeNull();
});
