/**
 * A stream lives only while it may: revoking its key, deleting its account or deleting its
 * subscription ends it within a second, no event posted after that reaches it, and what it had not
 * committed comes again to the next authorized reader. And admission is exact: hundreds of streams
 * opened at once on one subscription admit one per partition, never more, each partition read by
 * one of them; the rest get 409. On the real stack, with the default lease (10 s), so nothing ends
 * here by a lease expiring.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../src/embedded/child-process';
import { eventually, TEST_API_KEY, useHeraldAndReceiver } from '../helpers/herald';
import { openStream, type TestStream } from '../helpers/stream-client';
import { acrossAccounts } from '../../src/accounts/scope';
import { STREAM_PARTITIONS } from '../../src/stream/partition';

const { h } = useHeraldAndReceiver({ worker: false });
const opened: TestStream[] = [];
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  for (const c of cleanups.splice(0)) c();
});

async function newAccount() {
  const account = await h.api('POST', '/v1/accounts', { name: 'Streamer' });
  expect(account.status).toBe(201);
  const key = await h.api('POST', `/v1/accounts/${account.body.id}/keys`, { name: 'reader' });
  expect(key.status).toBe(201);
  return { id: account.body.id as string, key: key.body.key as string, keyId: key.body.id as string };
}

/** Requests of the account: with the admin key naming it, so posting goes on after its own key is revoked. */
const asAccount = (accountId: string) => (method: string, path: string, body?: unknown) => h.api(method, path, body, { 'herald-account': accountId });

/** Posts event `seq` of `type` (entities spread over 8 partitions' worth), expecting a 202; returns its id. */
const poster = (api: ReturnType<typeof asAccount>, type: string) => async (seq: number) => {
  const r = await api('POST', '/v1/events', { type, entityIds: [`e-${seq % 8}`], data: { seq } });
  expect(r.status).toBe(202);
  return r.body.id as string;
};

async function subscribe(accountId: string, type: string) {
  const r = await asAccount(accountId)('POST', '/v1/subscriptions', { owningApplication: `app-${type}`, eventTypes: [type], readFrom: 'begin' });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

async function open(key: string, subscriptionId: string, headers = '') {
  const s = await openStream(h.url, key, subscriptionId, `batch_flush_timeout=0.05${headers}`);
  opened.push(s);
  expect(s.status).toBe(200);
  return s;
}

/**
 * Posts events of `type` one after another from the moment `cut` answered until `s` ended: every
 * one of them was posted after the cut. Returns their ids and how long after the cut's answer the
 * stream ended.
 */
async function cutThenPost(s: TestStream, cut: () => Promise<{ status: number }>, post: (seq: number) => Promise<string>) {
  let ended = false;
  const endedAt = s.ended.then(() => {
    ended = true;
    return Date.now();
  });
  const r = await cut();
  const cutAt = Date.now();
  expect(r.status).toBe(204);
  const after: string[] = [];
  // Eight posters at once, so that events land while the stream still runs.
  let seq = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (!ended && Date.now() - cutAt < 5000) after.push(await post(seq++));
    }),
  );
  return { after, endedIn: (await endedAt) - cutAt };
}

test('revoking the key a stream was opened with ends it within a second; no event posted after the revoke reaches it; its uncommitted events go to the next reader', async () => {
  const acc = await newAccount();
  const api = asAccount(acc.id);
  const sub = await subscribe(acc.id, 'revoke.type');
  const post = poster(api, 'revoke.type');
  const s = await open(acc.key, sub);
  const before = await post(-1);
  await s.untilEvents(1);

  const { after, endedIn } = await cutThenPost(s, () => h.api('DELETE', `/v1/accounts/${acc.id}/keys/${acc.keyId}`), post);
  expect(after.length).toBeGreaterThan(0);
  expect(s.events().map((e) => e.id)).toEqual([before]);
  expect(endedIn).toBeLessThan(1000);
  console.log(`revoke → stream end: ${endedIn} ms, ${after.length} event(s) posted meanwhile, none streamed`);

  // Nothing was committed: a stream with a new key reads it all, the event before and those after.
  const key = await h.api('POST', `/v1/accounts/${acc.id}/keys`, {});
  const next = await open(key.body.key, sub);
  await next.untilEvents(after.length + 1);
  expect(next.events().map((e) => e.id).sort()).toEqual([before, ...after].sort());
});

test('deleting the account ends its streams within a second, those of its keys and of an admin key naming it', async () => {
  const acc = await newAccount();
  const sub = await subscribe(acc.id, 'gone.type');
  const byKey = await open(acc.key, sub);
  // A stream of the admin key naming the account (Herald-Account), read to its end.
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  const res = await fetch(`${h.url}/v1/subscriptions/${sub}/events?batch_flush_timeout=0.05`, {
    headers: { authorization: `Bearer ${TEST_API_KEY}`, 'herald-account': acc.id },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  const adminEnded = (async () => {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) void chunk;
    return Date.now();
  })();

  const cut = Date.now();
  expect((await h.api('DELETE', `/v1/accounts/${acc.id}`)).status).toBe(204);
  const answered = Date.now();
  await byKey.ended;
  const keyEndedIn = Date.now() - answered;
  const adminEndedIn = (await adminEnded) - answered;
  expect(keyEndedIn).toBeLessThan(1000);
  expect(adminEndedIn).toBeLessThan(1000);
  console.log(`account delete (answered in ${answered - cut} ms) → stream ends: key ${keyEndedIn} ms, admin ${adminEndedIn} ms`);
  // Nothing more can be posted to it, and its sessions are gone.
  expect((await asAccount(acc.id)('POST', '/v1/events', { type: 'gone.type', entityIds: ['x'], data: {} })).status).toBe(404);
  await eventually(async () => (await acrossAccounts(() => h.models.StreamSession.countDocuments({ subscriptionId: sub }))) === 0, 5000, 'the sessions to go');
});

test('deleting the subscription ends its streams within a second; no event posted after the delete reaches them', async () => {
  const acc = await newAccount();
  const api = asAccount(acc.id);
  const sub = await subscribe(acc.id, 'unsub.type');
  const post = poster(api, 'unsub.type');
  const s = await open(acc.key, sub);
  const before = await post(-1);
  await s.untilEvents(1);
  const { after, endedIn } = await cutThenPost(s, () => api('DELETE', `/v1/subscriptions/${sub}`), post);
  expect(after.length).toBeGreaterThan(0);
  expect(s.events().map((e) => e.id)).toEqual([before]);
  expect(endedIn).toBeLessThan(1000);
  console.log(`subscription delete → stream end: ${endedIn} ms, ${after.length} event(s) posted meanwhile, none streamed`);
});

test('200 streams opened at once on one subscription, five times: one per partition is admitted, each partition read by one of them, the rest get 409', async () => {
  const acc = await newAccount();
  const sub = await subscribe(acc.id, 'crowd.type');
  const rounds: string[] = [];
  for (let round = 0; round < 5; round++) {
    const started = Date.now();
    const all = await Promise.all(Array.from({ length: 200 }, () => openStream(h.url, acc.key, sub, 'batch_flush_timeout=1')));
    opened.push(...all);
    const admitted = all.filter((s) => s.status === 200);
    const refused = all.filter((s) => s.status !== 200);
    expect(admitted.length).toBeLessThanOrEqual(STREAM_PARTITIONS);
    // Every slot was free when the round began, so every one is taken.
    expect(admitted.length).toBe(STREAM_PARTITIONS);
    for (const s of refused) {
      expect(s.status).toBe(409);
      expect(JSON.parse(s.body).error.code).toBe('conflict');
    }
    // Each partition is read by exactly one admitted stream, and each admitted stream reads one.
    const stats = await asAccount(acc.id)('GET', `/v1/subscriptions/${sub}`);
    expect(stats.body.openStreams).toBe(STREAM_PARTITIONS);
    const readers = (stats.body.partitions as Array<{ streamId: string | null }>).map((p) => p.streamId);
    expect(readers.every((id) => id !== null)).toBe(true);
    expect(new Set(readers).size).toBe(STREAM_PARTITIONS);
    expect(new Set(readers)).toEqual(new Set(admitted.map((s) => s.streamId)));
    rounds.push(`${admitted.length} admitted / ${refused.length} refused in ${Date.now() - started} ms`);

    for (const s of admitted) s.close();
    await eventually(async () => (await asAccount(acc.id)('GET', `/v1/subscriptions/${sub}`)).body.openStreams === 0, 10_000, 'the streams to leave');
    await eventually(async () => (await h.models.DeliveryPermit.countDocuments({ webhookId: sub, kind: 'lease' })) === 0, 10_000, 'the slots to be released');
  }
  console.log(`admission rounds: ${rounds.join('; ')}`);
}, 180_000);

test('with two streams open, 200 more at once: two are admitted', async () => {
  const acc = await newAccount();
  const sub = await subscribe(acc.id, 'half.type');
  const first = [await open(acc.key, sub), await open(acc.key, sub)];
  const all = await Promise.all(Array.from({ length: 200 }, () => openStream(h.url, acc.key, sub, 'batch_flush_timeout=1')));
  opened.push(...all);
  expect(all.filter((s) => s.status === 200).length).toBe(STREAM_PARTITIONS - first.length);
  expect(all.filter((s) => s.status === 409).length).toBe(200 - (STREAM_PARTITIONS - first.length));
});

test('a partition moving to a joining stream is read by one stream at a time: the old owner lets go before the new one starts (three joins under traffic)', async () => {
  const acc = await newAccount();
  const api = asAccount(acc.id);
  const sub = await subscribe(acc.id, 'move.type');
  const a = await openStream(h.url, acc.key, sub, 'batch_flush_timeout=0.05', { autoCommit: true });
  opened.push(a);
  let posting = true;
  let seq = 0;
  const posters = Promise.all(
    Array.from({ length: 12 }, async () => {
      while (posting) expect((await api('POST', '/v1/events', { type: 'move.type', entityIds: [`m-${seq % 40}`], data: { seq: seq++ } })).status).toBe(202);
    }),
  );
  const readsOf = (s: TestStream, p: number, from = 0) => s.batches.filter((x) => x.events && x.cursor.partition === p && x.receivedAt! >= from);
  try {
    for (let round = 0; round < 3; round++) {
      // Events flowing on every partition read by a alone, so that the move happens under traffic.
      const since = Date.now();
      await eventually(async () => [...Array(STREAM_PARTITIONS).keys()].every((p) => readsOf(a, p, since).length >= 3), 20_000, 'a to read every partition');
      const b = await openStream(h.url, acc.key, sub, 'batch_flush_timeout=0.05', { autoCommit: true });
      opened.push(b);
      expect(b.status).toBe(200);
      await eventually(async () => [...Array(STREAM_PARTITIONS).keys()].filter((p) => readsOf(b, p).length >= 2).length === STREAM_PARTITIONS / 2, 20_000, 'b to read its half');
      b.close();
      const closedAt = Date.now();
      const moved = [...Array(STREAM_PARTITIONS).keys()].filter((p) => readsOf(b, p).length);
      expect(moved.length).toBe(STREAM_PARTITIONS / 2);
      for (const p of moved) {
        const firstOfB = Math.min(...readsOf(b, p).map((x) => x.receivedAt!));
        // Nothing of p from a between b's first batch of it and b's end.
        expect(readsOf(a, p, firstOfB).filter((x) => x.receivedAt! < closedAt).map((x) => x.cursor.offset)).toEqual([]);
      }
    }
  } finally {
    posting = false;
    await posters;
  }
}, 120_000);

describe('two API processes on one database', () => {
  let other: ChildProcess;
  let otherUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    otherUrl = `http://127.0.0.1:${port}`;
    other = spawn(process.execPath, ['--import', 'tsx', 'src/api.ts'], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: process.env.HERALD_TEST_TEMPORAL_ADDRESS,
        MONGODB_URI: h.config.mongodbUri,
        HERALD_TASK_QUEUE: h.config.temporal.taskQueue,
        HERALD_API_KEYS: TEST_API_KEY,
        HERALD_ENCRYPTION_KEY: h.config.encryptionKey,
        HERALD_ALLOW_PRIVATE_DESTINATIONS: 'true',
        HERALD_DATA_DIR: process.env.HERALD_TEST_DATA_DIR,
        HERALD_LOG_LEVEL: 'warn',
        PORT: String(port),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await eventually(async () => (await fetch(`${otherUrl}/readyz`)).status === 200, 90_000, 'the second API process to be ready');
  }, 120_000);
  afterAll(async () => {
    if (other && other.exitCode === null) await new Promise<void>((r) => (other.once('exit', () => r()), other.kill('SIGTERM')));
  });

  test('a key revoked through one process ends its stream served by the other within a second; nothing posted after reaches it', async () => {
    const acc = await newAccount();
    const api = asAccount(acc.id);
    const sub = await subscribe(acc.id, 'remote.type');
    const post = poster(api, 'remote.type');
    const s = await openStream(otherUrl, acc.key, sub, 'batch_flush_timeout=0.05');
    opened.push(s);
    expect(s.status).toBe(200);
    const before = await post(-1);
    await s.untilEvents(1);
    const { after, endedIn } = await cutThenPost(s, () => h.api('DELETE', `/v1/accounts/${acc.id}/keys/${acc.keyId}`), post);
    expect(after.length).toBeGreaterThan(0);
    expect(s.events().map((e) => e.id)).toEqual([before]);
    expect(endedIn).toBeLessThan(1000);
    console.log(`two processes: revoke → stream end: ${endedIn} ms, ${after.length} event(s) posted meanwhile, none streamed`);
  });

  test('200 streams opened at once across both processes, three times: one per partition in all', async () => {
    const acc = await newAccount();
    const sub = await subscribe(acc.id, 'both.type');
    for (let round = 0; round < 3; round++) {
      const all = await Promise.all(Array.from({ length: 200 }, (_, i) => openStream(i % 2 ? otherUrl : h.url, acc.key, sub, 'batch_flush_timeout=1')));
      opened.push(...all);
      const admitted = all.filter((s) => s.status === 200);
      expect(admitted.length).toBe(STREAM_PARTITIONS);
      expect(all.filter((s) => s.status === 409).length).toBe(200 - STREAM_PARTITIONS);
      const readers = ((await asAccount(acc.id)('GET', `/v1/subscriptions/${sub}`)).body.partitions as Array<{ streamId: string | null }>).map((p) => p.streamId);
      expect(new Set(readers)).toEqual(new Set(admitted.map((s) => s.streamId)));
      for (const s of admitted) s.close();
      await eventually(async () => (await h.models.DeliveryPermit.countDocuments({ webhookId: sub, kind: 'lease' })) === 0, 10_000, 'the slots to be released');
    }
  }, 180_000);
});
