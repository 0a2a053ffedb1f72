/**
 * The Streaming API on the real stack: subscriptions, NDJSON streams from the event log, cursor
 * commits and resume (at least once), partitions shared between streams, and the bad inputs.
 * Short commit timeout and lease so the timeouts are tested in seconds.
 */
import { eventually, TEST_API_KEY, useHeraldAndReceiver } from '../helpers/herald';
import { commit, type StreamBatch, useStreams } from '../helpers/stream-client';
import { inAccount } from '../../src/accounts/scope';
import { allocateOffset } from '../../src/stream/log';
import { partitionOf } from '../../src/stream/partition';
import { forgetRecent } from '../../src/stream/recent';

const { h } = useHeraldAndReceiver({ worker: false, env: { HERALD_STREAM_COMMIT_TIMEOUT_SECONDS: '3', HERALD_STREAM_LEASE_SECONDS: '2' } });
const openTracked = useStreams(h, TEST_API_KEY);
const stream = (subId: string, query = '', autoCommit = false) => openTracked(subId, query, { autoCommit });
const commitAs = (subId: string, streamId: string | null, cursors: Array<StreamBatch['cursor']>) => commit(h.url, TEST_API_KEY, subId, streamId, cursors);

async function subscribe(app: string, eventTypes: string[], readFrom: 'begin' | 'end' = 'begin') {
  const r = await h.api('POST', '/v1/subscriptions', { owningApplication: app, eventTypes, readFrom });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

async function post(type: string, entity: string, seq: number, headers: Record<string, string> = {}) {
  const r = await h.api('POST', '/v1/events', { type, entityIds: [entity], data: { entity, seq } }, headers);
  expect([200, 202]).toContain(r.status);
  return r.body.id as string;
}

test('subscriptions: idempotent create, list, get with lag, delete, bad input named', async () => {
  const body = { owningApplication: 'crm', eventTypes: ['sub.a', 'sub.b'], consumerGroup: 'g1' };
  const first = await h.api('POST', '/v1/subscriptions', body);
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ id: expect.stringMatching(/^sub_/), owningApplication: 'crm', eventTypes: ['sub.a', 'sub.b'], consumerGroup: 'g1', readFrom: 'end' });
  const again = await h.api('POST', '/v1/subscriptions', { ...body, eventTypes: ['sub.b', 'sub.a'] });
  expect(again.status).toBe(200);
  expect(again.body.id).toBe(first.body.id);
  const other = await h.api('POST', '/v1/subscriptions', { ...body, consumerGroup: 'g2' });
  expect(other.status).toBe(201);

  const list = await h.api('GET', '/v1/subscriptions');
  expect(list.body.data.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining([first.body.id, other.body.id]));
  const one = await h.api('GET', `/v1/subscriptions/${first.body.id}`);
  expect(one.body.partitions).toHaveLength(4);
  expect(one.body.partitions[0]).toEqual({ partition: 0, committedOffset: expect.any(Number), lastOffset: expect.any(Number), lag: 0, streamId: null });

  const bad = await h.api('POST', '/v1/subscriptions', { owningApplication: '', eventTypes: [], readFrom: 'middle', extra: 1 });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['', 'eventTypes', 'owningApplication', 'readFrom']);

  expect((await h.api('DELETE', `/v1/subscriptions/${other.body.id}`)).status).toBe(204);
  expect((await h.api('GET', `/v1/subscriptions/${other.body.id}`)).status).toBe(404);
  expect((await h.api('DELETE', `/v1/subscriptions/${other.body.id}`)).status).toBe(404);
  const s404 = await stream('sub_nope');
  expect(s404.status).toBe(404);
  const s400 = await stream(first.body.id, 'batch_limit=0&stream_timeout=-1&bogus=1');
  expect(s400.status).toBe(400);
  expect(JSON.parse(s400.body).error.details.map((d: { path: string }) => d.path).sort()).toEqual(['batch_limit', 'bogus', 'stream_timeout']);
});

test('a stream reads every event of its types in entity order; commits; a new stream resumes after the last commit', async () => {
  const sub = await subscribe('orders', ['order.placed']);
  const ids: string[] = [];
  for (let seq = 0; seq < 10; seq++) for (const entity of ['e1', 'e2', 'e3']) ids.push(await post('order.placed', entity, seq));
  await post('order.other', 'e1', 99); // not of the subscription's types

  const s = await stream(sub, 'batch_limit=4&batch_flush_timeout=0.2');
  expect(s.status).toBe(200);
  expect(s.streamId).toMatch(/^stm_/);
  await s.untilEvents(30);
  const got = s.events();
  expect(got.map((e) => e.id).sort()).toEqual([...ids].sort());
  expect(got.every((e) => e.type === 'order.placed')).toBe(true);
  for (const entity of ['e1', 'e2', 'e3']) {
    expect(got.filter((e) => e.entityIds[0] === entity).map((e) => e.data.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  expect(s.batches.every((b) => !b.events || b.events.length <= 4)).toBe(true);

  // Commit e1's partition whole, and only the first batch of the others.
  const p1 = partitionOf(['e1'], '');
  const withEvents = s.batches.filter((b) => b.events);
  const committedBatches = withEvents.filter((b) => b.cursor.partition === p1 || withEvents.findIndex((x) => x.cursor.partition === b.cursor.partition) === withEvents.indexOf(b));
  const lastPerPartition = new Map<number, StreamBatch>();
  for (const b of committedBatches) lastPerPartition.set(b.cursor.partition, b);
  const r = await commitAs(sub, s.streamId, [...lastPerPartition.values()].map((b) => b.cursor));
  expect(r.status).toBe(204);
  const committedIds = new Set(committedBatches.flatMap((b) => b.events!.map((e) => e.id)));
  // The same commit again: outdated, nothing moves back.
  const again = await commitAs(sub, s.streamId, [withEvents[0].cursor]);
  expect(again.status).toBe(200);
  expect(again.body.items[0].result).toBe('outdated');
  s.close();
  await s.ended;

  const resumed = await stream(sub, 'batch_limit=100&batch_flush_timeout=0.2');
  await resumed.untilEvents(30 - committedIds.size);
  await new Promise((res) => setTimeout(res, 500));
  const second = resumed.events().map((e) => e.id);
  expect(second.filter((id) => committedIds.has(id))).toEqual([]);
  expect(new Set([...second, ...committedIds])).toEqual(new Set(ids));
});

test('readFrom end skips what came before; a duplicate (Idempotency-Key) is in the log once and does not stall it', async () => {
  await post('late.type', 'x1', 0);
  const sub = await subscribe('late', ['late.type'], 'end');
  const s = await stream(sub, 'batch_flush_timeout=0.2');
  const a = await post('late.type', 'x1', 1, { 'Idempotency-Key': 'dup-1' });
  expect(await post('late.type', 'x1', 1, { 'Idempotency-Key': 'dup-1' })).toBe(a);
  await post('late.type', 'x1', 2);
  const t0 = Date.now();
  await s.untilEvents(2, 4000);
  expect(Date.now() - t0).toBeLessThan(3000); // the duplicate's unused offset was passed at once, not after the gap timeout
  await new Promise((res) => setTimeout(res, 300));
  expect(s.events().map((e) => e.data.seq)).toEqual([1, 2]);
});

test('an offset allocated by a process that died before its insert is passed after the gap timeout; a purged range is reported', async () => {
  const sub = await subscribe('gaps', ['gap.type']);
  const p = partitionOf(['g1'], '');
  await post('gap.type', 'g1', 0);
  await inAccount('default', () => allocateOffset(h.models, ['g1'], 'lost')); // a crash between allocation and insert
  await post('gap.type', 'g1', 1);
  const s = await stream(sub, 'batch_flush_timeout=0.2', true);
  await s.untilEvents(1);
  await new Promise((res) => setTimeout(res, 1000));
  expect(s.events().map((e) => e.data.seq)).toEqual([0]); // waiting: the gap may still fill
  await s.untilEvents(2, 10_000);
  expect(s.events().map((e) => e.data.seq)).toEqual([0, 1]);
  expect(s.batches.find((b) => b.skipped)?.skipped).toEqual(expect.objectContaining({ fromOffset: expect.any(Number) }));
  s.close();

  // Retention: the first events of the partition are purged; a cursor before them resumes at the oldest kept, saying so.
  const sub2 = await subscribe('gaps2', ['gap.type']);
  const kept = await eventually(async () => {
    const all = await inAccount('default', async () => await h.models.Event.find({ streamPartition: p, type: 'gap.type' }).sort({ streamOffset: 1 }).lean());
    return all.length === 2 ? all : null;
  });
  await inAccount('default', async () => await h.models.Event.deleteOne({ _id: kept[0]._id }));
  // The purge removes events past the retention (an hour at least), long after this process's
  // one-minute memory of what it appended (src/stream/recent.ts) let them go: so does this test.
  forgetRecent(h.models.StreamOffsetClaim);
  const s2 = await stream(sub2, 'batch_flush_timeout=0.2', true);
  await s2.untilEvents(1, 10_000);
  const batch = s2.batches.find((b) => b.events)!;
  expect(batch.events!.map((e) => e.data.seq)).toEqual([1]);
  expect(batch.skipped).toEqual({ fromOffset: kept[0].streamOffset, toOffset: kept[1].streamOffset! - 1 });
});

test('commits: 409 without or with a foreign stream id, 422 for a cursor of another subscription, 400 for a bad body', async () => {
  const subA = await subscribe('c-a', ['commit.type']);
  const subB = await subscribe('c-b', ['commit.type']);
  await post('commit.type', 'c1', 0);
  const a = await stream(subA, 'batch_flush_timeout=0.2');
  const b = await stream(subB, 'batch_flush_timeout=0.2');
  await a.untilEvents(1);
  await b.untilEvents(1);
  const cursorA = a.batches.find((x) => x.events)!.cursor;
  const cursorB = b.batches.find((x) => x.events)!.cursor;
  expect((await commitAs(subA, null, [cursorA])).status).toBe(409);
  expect((await commitAs(subA, b.streamId, [cursorA])).status).toBe(409);
  expect((await commitAs(subA, 'stm_unknown', [cursorA])).status).toBe(409);
  const foreign = await commitAs(subA, a.streamId, [cursorB]);
  expect(foreign.status).toBe(422);
  expect(foreign.body.error.details[0].path).toBe('items.0.cursorToken');
  const edited = await commitAs(subA, a.streamId, [{ ...cursorA, offset: cursorA.offset + 5 }]);
  expect(edited.status).toBe(422);
  const bad = await commitAs(subA, a.streamId, [{ partition: -1 } as never]);
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['items.0.cursorToken', 'items.0.offset', 'items.0.partition']);
  expect((await commitAs(subA, a.streamId, [cursorA])).status).toBe(204);
});

test('streams of one subscription share its partitions, rebalance on join and leave; a fifth stream is refused', async () => {
  const sub = await subscribe('shared', ['share.type']);
  const a = await stream(sub, 'batch_flush_timeout=0.2', true);
  const b = await stream(sub, 'batch_flush_timeout=0.2', true);
  await new Promise((res) => setTimeout(res, 1500)); // a heartbeat: a gives up half its partitions
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) ids.push(await post('share.type', `ent-${i}`, i));
  await eventually(async () => a.events().length + b.events().length >= 40, 20_000, 'all events across both streams');
  const pa = new Set(a.batches.filter((x) => x.events).map((x) => x.cursor.partition));
  const pb = new Set(b.batches.filter((x) => x.events).map((x) => x.cursor.partition));
  expect([...pa].filter((p) => pb.has(p))).toEqual([]);
  expect(pa.size).toBeGreaterThan(0);
  expect(pb.size).toBeGreaterThan(0);
  expect([...a.events(), ...b.events()].map((e) => e.id).sort()).toEqual([...ids].sort());
  // Every commit answered before c and d join: a commit after its partition moved would be refused.
  await Promise.all([a.commitsSettled(), b.commitsSettled()]);

  const c = await stream(sub);
  const d = await stream(sub);
  const e = await stream(sub);
  expect([c.status, d.status, e.status]).toEqual([200, 200, 409]);
  c.close();
  d.close();

  // b leaves: a takes its partitions from b's committed cursors; new events there reach a.
  b.close();
  await new Promise((res) => setTimeout(res, 1500));
  const more: string[] = [];
  for (let i = 0; i < 8; i++) more.push(await post('share.type', `ent-${i}`, 100 + i));
  await eventually(async () => more.every((id) => a.events().some((x) => x.id === id)), 20_000, 'a to read the partitions b left');
  expect(a.events().filter((x) => ids.includes(x.id) && b.events().some((y) => y.id === x.id))).toEqual([]); // b's committed events not re-sent
});

test('a stream with uncommitted events and no commit within the timeout is closed; its partitions are freed; a new stream re-reads them', async () => {
  const sub = await subscribe('slow', ['slow.type']);
  await post('slow.type', 's1', 0);
  const s = await stream(sub, 'batch_flush_timeout=0.2');
  await s.untilEvents(1);
  await s.ended; // closed by Herald after the 2 s commit timeout
  expect((await commitAs(sub, s.streamId, [s.batches.find((x) => x.events)!.cursor])).status).toBe(409);
  const next = await stream(sub, 'batch_flush_timeout=0.2&stream_limit=1');
  await next.untilEvents(1);
  expect(next.events()[0].data.seq).toBe(0);
  await next.ended; // stream_limit reached
}, 30_000);

test('stream_timeout ends the stream; an idle stream sends keep-alives with cursors', async () => {
  const sub = await subscribe('idle', ['idle.type'], 'end');
  const s = await stream(sub, 'batch_flush_timeout=0.3&stream_timeout=1.2');
  await s.ended;
  expect(s.batches.length).toBeGreaterThanOrEqual(4);
  expect(s.batches.every((b) => !b.events && typeof b.cursor.cursorToken === 'string')).toBe(true);
});

test('concurrent posts get distinct offsets, and every one of them is streamed', async () => {
  const sub = await subscribe('concurrent', ['conc.type']);
  const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => post('conc.type', `k-${i % 2}`, i)));
  const docs = await inAccount('default', async () => await h.models.Event.find({ type: 'conc.type' }, { streamPartition: 1, streamOffset: 1 }).lean());
  const positions = docs.map((d) => `${d.streamPartition}:${d.streamOffset}`);
  expect(new Set(positions).size).toBe(60);
  const s = await stream(sub, 'batch_limit=50&batch_flush_timeout=0.2', true);
  await s.untilEvents(60);
  expect(s.events().map((e) => e.id).sort()).toEqual([...ids].sort());
});
