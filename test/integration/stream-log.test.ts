/**
 * The stream log's edges on the real stack (FerretDB through mongoose, the API over HTTP): the
 * retention trim of its claims with the floor readers resume at, and gaps wider than an idle
 * reader's window — including the writer that must not claim an offset readers have passed.
 */
import { eventually, TEST_API_KEY, useHeraldAndReceiver } from '../helpers/herald';
import { useStreams } from '../helpers/stream-client';
import { acrossAccounts, inAccount } from '../../src/accounts/scope';
import { claimId, GAP_TIMEOUT_MS } from '../../src/stream/log';
import { partitionOf } from '../../src/stream/partition';
import { createPurgeActivities } from '../../activities/purge';
import { createLogger } from '../../src/logger';

const { h } = useHeraldAndReceiver({ worker: false });
const openTracked = useStreams(h, TEST_API_KEY);
const stream = (subId: string) => openTracked(subId, 'batch_flush_timeout=0.2', { autoCommit: true });

async function subscribe(app: string, eventTypes: string[]) {
  const r = await h.api('POST', '/v1/subscriptions', { owningApplication: app, eventTypes, readFrom: 'begin' });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

async function post(type: string, entity: string, seq: number) {
  const r = await h.api('POST', '/v1/events', { type, entityIds: [entity], data: { seq } });
  expect(r.status).toBe(202);
  return r.body.id as string;
}

const inDefault = <T>(fn: () => Promise<T>) => inAccount('default', fn);
const offsetOf = (id: string) => inDefault(async () => (await h.models.Event.findById(id, { streamOffset: 1 }).lean())!.streamOffset!);

test('the purge trims claims past the retention and raises the floor; a stream below it resumes at the oldest kept, saying so', async () => {
  const sub = await subscribe('trim', ['trim.type']);
  const p = partitionOf(['t1'], '');
  const ids = [await post('trim.type', 't1', 0), await post('trim.type', 't1', 1), await post('trim.type', 't1', 2)];
  const offsets = await Promise.all(ids.map(offsetOf));
  // The first two were claimed two hours ago (their events are younger: only the log's retention is at stake here).
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  await inDefault(() => h.models.StreamOffsetClaim.updateMany({ _id: { $in: offsets.slice(0, 2).map((o) => claimId('default', p, o)) } }, { $set: { at: twoHoursAgo } }));

  const purge = createPurgeActivities({ models: h.models, logger: createLogger('silent'), retentionSeconds: 3600 });
  const cutoff = new Date(Date.now() - 3600_000).toISOString();
  await acrossAccounts(() => purge.purgeEvents({ cutoff, limit: 500 }));

  const left = await inDefault(() => h.models.StreamOffsetClaim.find({ _id: { $in: offsets.map((o) => claimId('default', p, o)) } }, { offset: 1 }).lean());
  expect(left.map((c) => c.offset)).toEqual([offsets[2]]);
  expect(await inDefault(() => h.models.StreamLogFloor.findById(`default:${p}`).lean())).toMatchObject({ partition: p, offset: offsets[1] + 1 });

  const s = await stream(sub);
  await s.untilEvents(1);
  const first = s.batches.find((b) => b.cursor.partition === p && (b.events || b.skipped))!;
  expect(first.events!.map((e) => e.id)).toEqual([ids[2]]);
  expect(first.skipped).toEqual({ fromOffset: 1, toOffset: offsets[1] });
});

test('a gap wider than an idle window is passed after the gap timeout, and a writer idle since never claims inside it', async () => {
  const sub = await subscribe('wide', ['wide.type']);
  const p = partitionOf(['w1'], '');
  const before = await post('wide.type', 'w1', 0);
  const s = await stream(sub);
  await s.untilEvents(1);

  // Another API process reserved 40 offsets and died before claiming them, then claimed one above them.
  const far = (await offsetOf(before)) + 41;
  await inDefault(async () => {
    await h.models.StreamOffsetClaim.create({ _id: claimId('default', p, far), partition: p, offset: far, eventId: 'evt_far', at: new Date() });
    await h.models.Event.create({ _id: 'evt_far', type: 'wide.type', entityIds: ['w1'], dataJson: '{"seq":1}', dedupeKey: 'id:evt_far', occurredAt: new Date(), streamPartition: p, streamOffset: far });
  });
  await s.untilEvents(2, GAP_TIMEOUT_MS + 5_000);
  expect(s.events().map((e) => e.id)).toEqual([before, 'evt_far']);
  expect(s.batches.map((b) => b.skipped).filter(Boolean)).toContainEqual({ fromOffset: far - 40, toOffset: far - 1 });

  // This process's next offset for the partition was inside the gap the stream has passed: its
  // next event must land above the gap, where the stream still reads.
  const after = await post('wide.type', 'w1', 2);
  expect(await offsetOf(after)).toBe(far + 1);
  await s.untilEvents(3);
  expect(s.events().map((e) => e.id)).toEqual([before, 'evt_far', after]);
});

test('metrics: streams open on this process, and each subscription partition\'s lag followed from its cursor', async () => {
  const sub = await subscribe('lag', ['lag.type']);
  const p = partitionOf(['l1'], '');
  for (let seq = 0; seq < 3; seq++) await post('lag.type', 'l1', seq);
  const metric = async (name: string, labels: string) => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels)) ?? text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
  };
  const partitionLabels = `subscription="${sub}",partition="${p}"`;
  // Created from the beginning: every event of the partition is ahead of the cursor (other tests' too).
  const before = await metric('herald_stream_lag_events', partitionLabels);
  expect(before).toBeGreaterThanOrEqual(3);
  expect(await metric('herald_streams_open', '')).toBe(0);

  const s = await stream(sub);
  await s.untilEvents(3);
  expect(await metric('herald_streams_open', '')).toBe(1);
  // The stream commits as it reads (autoCommit): the lag drains to 0.
  await eventually(async () => ((await metric('herald_stream_lag_events', partitionLabels)) === 0 ? true : null), 10_000, 'the lag to drain');
  s.close();
  await s.ended;
  await eventually(async () => ((await metric('herald_streams_open', '')) === 0 ? true : null), 10_000, 'the stream to be counted closed');
  // Nobody reads: one more event is one more of lag.
  await post('lag.type', 'l1', 3);
  expect(await metric('herald_stream_lag_events', partitionLabels)).toBe(1);
});
