/**
 * Stream subscriptions as an operator and a consumer with several streams see them, on the real
 * stack: the list is paged like every list (limit, cursor, nextCursor; newest first); the list and
 * one subscription say how many streams are open and the lag, per partition with the stream that
 * reads it; a commit for a partition that moved to another stream is refused (409
 * partition_not_owned, naming it) and commits nothing, the new owner reads it again, and Herald's
 * own consumer (src/stream/consumer.ts: `herald stream`, the benchmark) keeps reading its stream.
 */
import { eventually, TEST_API_KEY, useHeraldAndReceiver } from '../helpers/herald';
import { commit, type StreamBatch, type TestStream, useStreams } from '../helpers/stream-client';
import { partitionOf, STREAM_PARTITIONS } from '../../src/stream/partition';
import { consumeStream } from '../../src/stream/consumer';
import { listOf } from '../../src/openapi/responses';
import { streamSubscriptionSummary, streamSubscriptionWithStats } from '../../src/openapi/streams';

const { h } = useHeraldAndReceiver({ worker: false });
const openTracked = useStreams(h, TEST_API_KEY);

async function stream(subId: string, query: string) {
  const s = await openTracked(subId, query);
  expect(s.status).toBe(200);
  return s;
}

/** Two entity ids per partition. */
function entitiesByPartition(): string[][] {
  const by: string[][] = Array.from({ length: STREAM_PARTITIONS }, () => []);
  for (let i = 0; by.some((e) => e.length < 2); i++) {
    const p = partitionOf([`own-${i}`], '');
    if (by[p].length < 2) by[p].push(`own-${i}`);
  }
  return by;
}

const lastBatchOf = (s: TestStream, partition: number): StreamBatch => s.batches.filter((b) => b.events && b.cursor.partition === partition).at(-1)!;

test('the list is paged newest first with limit, cursor and nextCursor; bad paging parameters are named', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await h.api('POST', '/v1/subscriptions', { owningApplication: `pager-${i}`, eventTypes: ['pager.type'] });
    expect(r.status).toBe(201);
    ids.push(r.body.id);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await h.api('GET', `/v1/subscriptions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status).toBe(200);
    expect(listOf(streamSubscriptionSummary).safeParse(r.body).success).toBe(true);
    expect(r.body.data.length).toBeLessThanOrEqual(2);
    seen.push(...r.body.data.map((s: { id: string }) => s.id));
    cursor = r.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  expect(pages).toBe(3);
  expect(seen).toEqual([...ids].reverse());

  const bad = await h.api('GET', '/v1/subscriptions?limit=0&cursor=not%20a%20cursor&page=2');
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['cursor', 'limit', 'page']);
  expect((await h.api('GET', '/v1/subscriptions?limit=201')).body.error.details).toEqual([{ path: 'limit', message: 'must be at most 200' }]);
});

test('a commit for a partition that moved to a newer stream is refused, commits nothing, and the new owner reads it again; stats show who reads what and the lag', async () => {
  const sub = (await h.api('POST', '/v1/subscriptions', { owningApplication: 'owners', eventTypes: ['own.type'], readFrom: 'end' })).body.id as string;
  const entities = entitiesByPartition();
  const posted = new Map<number, string[]>();
  for (let seq = 0; seq < 3; seq++) {
    for (const [p, names] of entities.entries()) {
      for (const entity of names) {
        const r = await h.api('POST', '/v1/events', { type: 'own.type', entityIds: [entity], data: { seq } });
        expect(r.status).toBe(202);
        posted.set(p, [...(posted.get(p) ?? []), r.body.id]);
      }
    }
  }

  // Before any stream: no stream open, every posted event is lag (readFrom end: the log's end was 0 lag).
  const before = await h.api('GET', `/v1/subscriptions/${sub}`);
  expect(streamSubscriptionWithStats.safeParse(before.body).success).toBe(true);
  expect(before.body).toMatchObject({ openStreams: 0, lag: 24 });
  expect(before.body.partitions.map((p: { lag: number; streamId: string | null }) => [p.lag, p.streamId])).toEqual([[6, null], [6, null], [6, null], [6, null]]);

  // A alone reads every partition.
  const a = await stream(sub, 'batch_limit=100&batch_flush_timeout=0.2');
  await a.untilEvents(24);
  expect(new Set(a.batches.filter((b) => b.events).map((b) => b.cursor.partition))).toEqual(new Set([0, 1, 2, 3]));

  // B joins: partitions p mod 2 === 1 are B's from now on, whatever A's streamer has noticed yet.
  const b = await stream(sub, 'batch_limit=100&batch_flush_timeout=0.2');
  const cursorsOfA = [0, 1, 2, 3].map((p) => lastBatchOf(a, p).cursor);
  const refused = await commit(h.url, TEST_API_KEY, sub, a.streamId, cursorsOfA);
  expect(refused.status).toBe(409);
  expect(refused.body.error.code).toBe('partition_not_owned');
  expect(refused.body.error.details).toEqual([
    { path: 'items.1.partition', message: 'partition 1 is not assigned to this stream' },
    { path: 'items.3.partition', message: 'partition 3 is not assigned to this stream' },
  ]);
  expect(refused.body.error.message).toContain('partition 1, 3');
  const after = await h.api('GET', `/v1/subscriptions/${sub}`);
  expect(after.body.partitions.map((p: { lag: number }) => p.lag)).toEqual([6, 6, 6, 6]); // nothing was committed
  expect(after.body.openStreams).toBe(2);
  expect(after.body.partitions.map((p: { streamId: string | null }) => p.streamId)).toEqual([a.streamId, b.streamId, a.streamId, b.streamId]);

  // A commits what it owns; B reads partitions 1 and 3 again from the committed cursor, and commits them.
  expect((await commit(h.url, TEST_API_KEY, sub, a.streamId, [cursorsOfA[0], cursorsOfA[2]])).status).toBe(204);
  await b.untilEvents(12);
  expect(b.events().map((e) => e.id).sort()).toEqual([...posted.get(1)!, ...posted.get(3)!].sort());
  expect((await commit(h.url, TEST_API_KEY, sub, b.streamId, [lastBatchOf(b, 1).cursor, lastBatchOf(b, 3).cursor])).status).toBe(204);

  const done = await h.api('GET', `/v1/subscriptions/${sub}`);
  expect(done.body).toMatchObject({ openStreams: 2, lag: 0 });
  const listed = (await h.api('GET', '/v1/subscriptions?limit=200')).body.data.find((s: { id: string }) => s.id === sub);
  expect(listed).toMatchObject({ openStreams: 2, lag: 0 });
});

test("Herald's consumer keeps reading its stream when a commit is refused because the partition moved (it does not reconnect)", async () => {
  const sub = (await h.api('POST', '/v1/subscriptions', { owningApplication: 'keeps-reading', eventTypes: ['keep.type'], readFrom: 'end' })).body.id as string;
  const [p0, p1] = [entitiesByPartition()[0][0], entitiesByPartition()[1][0]];
  const inP1: string[] = [];
  for (let i = 0; i < 3; i++) inP1.push((await h.api('POST', '/v1/events', { type: 'keep.type', entityIds: [p1], data: { i } })).body.id);

  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const read: Array<{ id: string; partition: number }> = [];
  const stop = new AbortController();
  const consuming = consumeStream({
    url: h.url, apiKey: TEST_API_KEY, subscriptionId: sub, query: { batch_limit: 1, batch_flush_timeout: 0.1 }, signal: stop.signal,
    async onEvents(events, batch) {
      read.push(...events.map((e) => ({ id: e.id, partition: batch.cursor.partition })));
      await gate; // the first batch is held until the second stream joined
    },
  });
  await eventually(async () => read.length > 0, 10_000, 'the consumer to get its first batch');
  const consumerStream = (await h.api('GET', `/v1/subscriptions/${sub}`)).body.partitions[1].streamId as string;
  expect(consumerStream).toMatch(/^stm_/);

  const b = await stream(sub, 'batch_limit=100&batch_flush_timeout=0.1'); // partition 1 is b's from now on
  release();
  await b.untilEvents(3);
  expect(b.events().map((e) => e.id)).toEqual(inP1); // the new owner reads it again from the committed cursor

  // The consumer's commits of partition 1 were refused; it is still on its stream, which still reads partition 0.
  const later = (await h.api('POST', '/v1/events', { type: 'keep.type', entityIds: [p0], data: { later: true } })).body.id;
  await eventually(async () => read.some((r) => r.id === later), 10_000, 'the consumer to read partition 0 on its first stream');
  // Its commit of partition 0 is accepted (lag 0 once it landed).
  const stats = await eventually(async () => {
    const r = (await h.api('GET', `/v1/subscriptions/${sub}`)).body;
    return r.partitions[0].lag === 0 ? r : null;
  }, 10_000, 'the commit of partition 0');
  expect(stats.openStreams).toBe(2);
  expect(stats.partitions.map((p: { streamId: string }) => p.streamId)).toEqual([consumerStream, b.streamId, consumerStream, b.streamId]);
  stop.abort();
  await consuming;
});
