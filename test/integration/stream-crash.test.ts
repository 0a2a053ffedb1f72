/**
 * Kill the API process mid-stream (SIGKILL): after the commit, a stream on another API process
 * re-sends no committed event and loses no uncommitted one, and the killed stream's partitions come
 * back once its lease ends. Two real `npm run api` processes on the shared test stack's database.
 */
import { randomBytes } from 'node:crypto';
import { freePort } from '../../src/embedded/child-process';
import { generateEncryptionKey } from '../../src/crypto/secrets';
import { spawnApiProcess, type HeraldProcess } from '../helpers/herald-process';
import { eventually } from '../helpers/herald';
import { openStream, commit, type StreamBatch, type TestStream } from '../helpers/stream-client';

const API_KEY = 'stream-crash-key-0123456789abcdef';
let a: HeraldProcess & { url: string };
let b: HeraldProcess & { url: string };
const streams: TestStream[] = [];

beforeAll(async () => {
  const suffix = randomBytes(4).toString('hex');
  const base = {
    TEMPORAL_ADDRESS: process.env.HERALD_TEST_TEMPORAL_ADDRESS,
    MONGODB_URI: `${process.env.HERALD_TEST_MONGO_URI_BASE}/herald_stream_crash_${suffix}`,
    HERALD_TASK_QUEUE: `herald-stream-crash-${suffix}`,
    HERALD_API_KEYS: API_KEY,
    // One key for both processes: a cursor from one is valid on the other.
    HERALD_ENCRYPTION_KEY: generateEncryptionKey(),
    HERALD_DATA_DIR: process.env.HERALD_TEST_DATA_DIR,
    HERALD_LOG_LEVEL: 'warn',
    HERALD_STREAM_LEASE_SECONDS: '2',
  };
  // One after the other: the first start creates the default account.
  a = await spawnApiProcess({ ...base, PORT: String(await freePort()) });
  b = await spawnApiProcess({ ...base, PORT: String(await freePort()) });
}, 120_000);

afterAll(async () => {
  for (const s of streams) s.close();
  for (const p of [a, b]) {
    if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p?.exited();
  }
});

async function api(url: string, method: string, route: string, body?: unknown) {
  const res = await fetch(`${url}${route}`, { method, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

test('SIGKILL of the API serving a stream: committed events are not re-sent, uncommitted ones are not lost', async () => {
  const sub = await api(a.url, 'POST', '/v1/subscriptions', { owningApplication: 'crash', eventTypes: ['crash.type'], readFrom: 'begin' });
  expect(sub.status).toBe(201);
  const posted: string[] = [];
  const postSome = async (url: string, n: number) => {
    for (let i = 0; i < n; i++) {
      const r = await api(url, 'POST', '/v1/events', { type: 'crash.type', entityIds: [`acct-${posted.length % 7}`], data: { n: posted.length } });
      expect(r.status).toBe(202);
      posted.push(r.body.id);
    }
  };
  await postSome(a.url, 30);

  const first = await openStream(a.url, API_KEY, sub.body.id, 'batch_limit=3&batch_flush_timeout=0.1');
  streams.push(first);
  await first.untilEvents(30);
  // Commit what arrived so far, partition by partition.
  const snapshot = first.batches.filter((x) => x.events);
  const last = new Map<number, StreamBatch>();
  for (const x of snapshot) last.set(x.cursor.partition, x);
  expect((await commit(a.url, API_KEY, sub.body.id, first.streamId, [...last.values()].map((x) => x.cursor))).status).toBe(204);
  const committed = new Set(snapshot.flatMap((x) => x.events!.map((e) => e.id)));

  // More events reach the stream, uncommitted; then the process dies mid-stream.
  await postSome(a.url, 20);
  await first.untilEvents(50);
  a.child.kill('SIGKILL');
  await a.exited();
  await postSome(b.url, 10);

  const second = await openStream(b.url, API_KEY, sub.body.id, 'batch_limit=3&batch_flush_timeout=0.1', { autoCommit: true });
  streams.push(second);
  expect(second.status).toBe(200);
  await eventually(async () => {
    const seen = new Set([...committed, ...second.events().map((e) => e.id)]);
    return posted.every((id) => seen.has(id));
  }, 20_000, 'every uncommitted event on the new stream');
  expect(second.events().filter((e) => committed.has(e.id))).toEqual([]);
  // Entity order holds across the crash.
  const byEntity = new Map<string, number[]>();
  for (const e of second.events()) byEntity.set(e.entityIds[0], [...(byEntity.get(e.entityIds[0]) ?? []), e.data.n as number]);
  for (const ns of byEntity.values()) expect(ns).toEqual([...ns].sort((x, y) => x - y));
}, 90_000);
