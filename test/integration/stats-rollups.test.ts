/**
 * Delivery rollups against the truth: a few hundred notifications over four webhooks (sent at
 * once, failed after a retry, slow, timed out), delivered by this process's worker and a second
 * worker process at the same time, while compactions run. The rollups' sums must equal what the
 * notifications themselves record: attempts by outcome and notifications by status, per webhook.
 * Then the stats endpoints' series, read from those rollups.
 */
import { startReceiver, type Receiver } from '../helpers/receiver';
import { eventually, FAST_RETRY, startTestHerald, TEST_API_KEY, type TestHerald } from '../helpers/herald';
import { apiClient } from '../helpers/api-client';
import { killProcesses, spawnWorkerProcess, type HeraldProcess } from '../helpers/herald-process';
import { rollupsOf } from '../../src/stats/rollups';
import { compactAccount } from '../../src/stats/compaction';
import { liveRollups, readRollupDocs, tallyMinutes } from '../../src/stats/rollup-read';
import { attemptTotal, emptyTally, LATENCY_BUCKETS_MS, mergeTally, type Tally } from '../../src/stats/tally';
import { DEFAULT_ACCOUNT } from '../../src/accounts/scope';

let h: TestHerald;
let receiver: Receiver;
let other: HeraldProcess | undefined;
const hooks: Record<'ok' | 'failing' | 'slow' | 'timeout', string> = { ok: '', failing: '', slow: '', timeout: '' };
let truthAfterBurst: Map<string, Tally>;
const EVENTS = 100;
const SLOW_EVENTS = 15;

beforeAll(async () => {
  [h, receiver] = await Promise.all([startTestHerald(), startReceiver()]);
  receiver.respond((req) => {
    if (req.url.startsWith('/failing')) return { status: 500 };
    if (req.url.startsWith('/slow')) return { status: 200, delayMs: 20 + (req.body.length % 40) };
    if (req.url.startsWith('/timeout')) return { status: 200, delayMs: 1500 };
    return { status: 200 };
  });
  other = await spawnWorkerProcess({
    TEMPORAL_ADDRESS: h.config.temporal.address,
    MONGODB_URI: h.config.mongodbUri,
    HERALD_TASK_QUEUE: h.config.temporal.taskQueue,
    HERALD_API_KEYS: 'unused-in-a-worker-0123456789',
    HERALD_ENCRYPTION_KEY: h.config.encryptionKey,
    HERALD_ALLOW_PRIVATE_DESTINATIONS: 'true',
    HERALD_DATA_DIR: process.env.HERALD_TEST_DATA_DIR,
    HERALD_LOG_LEVEL: 'warn',
  });
  const create = async (name: keyof typeof hooks, body: Record<string, unknown>) => {
    const res = await h.api('POST', '/v1/webhooks', { name: `rollup-${name}`, url: `${receiver.url}/${name}`, ...body });
    expect(res.status).toBe(201);
    hooks[name] = res.body.id;
  };
  await create('ok', { eventTypes: ['rollup.burst'], retry: FAST_RETRY });
  // Circuits that never open: every notification makes all its attempts now, none is held.
  const neverOpen = { circuitBreaker: { failureThreshold: 1000 } };
  await create('failing', { eventTypes: ['rollup.burst'], retry: { ...FAST_RETRY, maxAttempts: 2 }, ...neverOpen });
  await create('slow', { eventTypes: ['rollup.burst'], retry: FAST_RETRY });
  await create('timeout', { eventTypes: ['rollup.slow'], timeoutSeconds: 1, retry: { ...FAST_RETRY, maxAttempts: 1 }, ...neverOpen });
}, 120_000);

afterAll(async () => {
  await killProcesses([other]);
  await h?.stop();
  await receiver?.close();
});

/** Per webhook: the notifications' own attempts by outcome and statuses. */
async function truth(): Promise<Map<string, Tally>> {
  const out = new Map<string, Tally>();
  const docs = await h.models.Notification.find({ webhookId: { $in: Object.values(hooks) } }, { webhookId: 1, status: 1, 'attempts.error': 1 }).lean();
  for (const n of docs) {
    const t = out.get(n.webhookId) ?? emptyTally();
    out.set(n.webhookId, t);
    t.statuses[n.status as 'sent'] = (t.statuses[n.status as 'sent'] ?? 0) + 1;
    for (const a of n.attempts ?? []) {
      const outcome = (a.error?.kind ?? 'success') as 'success';
      t.attempts[outcome] = (t.attempts[outcome] ?? 0) + 1;
    }
  }
  return out;
}

/** Per webhook: the sums of the rollups stored (every writer flushed). */
async function stored(): Promise<{ sums: Map<string, Tally>; writers: Set<string>; docs: number }> {
  const docs = liveRollups(await readRollupDocs(h.models.DeliveryRollup, DEFAULT_ACCOUNT, Date.now() - 2 * 86_400_000, 'hour'));
  const sums = new Map<string, Tally>();
  const writers = new Set<string>();
  for (const d of docs) {
    // A flush is `<account>|<minute>|<writer>|<seq>`; a compaction names the flushes it replaced.
    for (const id of [d._id, ...(d.covers ?? [])]) {
      const parts = id.split('|');
      if (parts.length === 4 && !parts[2].startsWith('~')) writers.add(parts[2]);
    }
    for (const e of tallyMinutes(d)) for (const [webhookId, t] of e.tallies) sums.set(webhookId, mergeTally(sums.get(webhookId) ?? emptyTally(), t));
  }
  return { sums, writers, docs: docs.length };
}

/** The latency bucket holding a duration: [its lower bound, its upper bound]. */
function bucketAround(ms: number): [number, number] {
  const bounds = [0, ...LATENCY_BUCKETS_MS, Infinity];
  const i = bounds.findIndex((b) => Math.round(ms) <= b);
  return [bounds[Math.max(0, i - 1)], bounds[i]];
}

function countsOf(t: Tally | undefined) {
  const nonZero = (o: Record<string, number | undefined>) => Object.fromEntries(Object.entries(o).filter(([, n]) => n));
  return { attempts: nonZero(t?.attempts ?? {}), statuses: nonZero(t?.statuses ?? {}) };
}

test('a burst over two worker processes with compactions running: the rollups sum to the notifications, per webhook', async () => {
  // Idempotent posts, repeated on a 5xx (a busy embedded store): each event is accepted once.
  const client = apiClient(h.url, TEST_API_KEY);
  const post = (key: string, body: unknown) => client.postUntilAccepted(key, body, { timeoutMs: 120_000 });
  const posts: Array<Promise<unknown>> = [];
  for (let i = 0; i < EVENTS; i++) posts.push(post(`burst-${i}`, { type: 'rollup.burst', data: { i, pad: 'x'.repeat(i % 37) } }));
  for (let i = 0; i < SLOW_EVENTS; i++) posts.push(post(`slow-${i}`, { type: 'rollup.slow', data: { i } }));
  // Compactions while the work happens (the minutes that close meanwhile are merged).
  let compacting = true;
  const compactions = (async () => {
    let runs = 0;
    while (compacting) {
      await compactAccount(h.models.DeliveryRollup, DEFAULT_ACCOUNT, new Date());
      runs++;
      await new Promise((r) => setTimeout(r, 500));
    }
    return runs;
  })();
  try {
    await Promise.all(posts);
    const expected = 3 * EVENTS + SLOW_EVENTS;
    await eventually(async () => {
      const open = await h.models.Notification.countDocuments({ webhookId: { $in: Object.values(hooks) }, status: { $in: ['pending', 'retrying'] } });
      const all = await h.models.Notification.countDocuments({ webhookId: { $in: Object.values(hooks) } });
      return all === expected && open === 0;
    }, 180_000, `${expected} notifications to end their rounds`);
  } finally {
    compacting = false;
  }
  expect(await compactions).toBeGreaterThan(0);

  // The other process writes what it counted when it stops (a clean stop loses nothing); this one flushes.
  other!.child.kill('SIGTERM');
  await other!.exited();
  expect(other!.child.exitCode).toBe(0);
  await rollupsOf(h.models).flush();

  const [want, got] = await Promise.all([truth(), stored()]);
  for (const [name, id] of Object.entries(hooks)) {
    // What the receiver got, what the notifications recorded, what the rollups counted. On a loaded
    // embedded store an attempt can be made twice (a local activity retried after its workflow task
    // timed out) and one of the two records lost (two concurrent updates of one notification: the
    // embedded store keeps one); or made and not recorded (the store busy: the activity is retried).
    // Rollups count each attempt that was recorded as made, so: recorded ≤ counted ≤ received.
    const received = receiver.requests.filter((r) => r.url.startsWith(`/${name}`)).length;
    const recorded = attemptTotal(want.get(id)!);
    const counted = attemptTotal(got.sums.get(id)!);
    expect({ name, ok: recorded <= counted && counted <= received }).toEqual({ name, ok: true });
    // Without such an incident, exactly the notifications' own counts, by outcome and by status.
    if (recorded === received) expect({ id, ...countsOf(got.sums.get(id)) }).toEqual({ id, ...countsOf(want.get(id)) });
  }
  // (At least once: an attempt whose activity is retried after it was recorded, e.g. the embedded
  // store busy, is made again; so counts are checked against the notifications, not the plan.)
  expect(attemptTotal(want.get(hooks.failing)!)).toBeGreaterThanOrEqual(2 * EVENTS);
  expect(want.get(hooks.timeout)!.attempts.timeout).toBeGreaterThanOrEqual(SLOW_EVENTS);
  truthAfterBurst = want;
  // Both processes wrote rollups.
  expect(got.writers.size).toBeGreaterThanOrEqual(2);
  expect(got.sums.get(hooks.slow)!.latencyCount).toBe(EVENTS);
}, 300_000);

test('GET /v1/stats/deliveries: per-minute and per-hour series of the account and of one webhook, with latency percentiles', async () => {
  const want = (id: string) => truthAfterBurst.get(id)!;
  const all = [...truthAfterBurst.values()].reduce((a, t) => mergeTally(a, t), emptyTally());
  const total = attemptTotal(all);
  const hour = (await h.api('GET', '/v1/stats/deliveries?window=hour')).body;
  expect(hour).toMatchObject({ window: 'hour', webhookId: null, stepSeconds: 60 });
  expect(hour.series).toHaveLength(60);
  expect(hour.total.attempts).toBe(total);
  expect(hour.total.outcomes).toEqual({ success: 0, http_status: 0, timeout: 0, connection: 0, tls: 0, blocked: 0, configuration: 0, ...all.attempts });
  const sum = (series: Array<{ attempts: number }>) => series.reduce((a, b) => a + b.attempts, 0);
  expect(sum(hour.series)).toBe(total);
  expect(new Date(hour.series[59].at).getTime()).toBe(new Date(hour.to).getTime() - 60_000);

  const slow = (await h.api('GET', `/v1/stats/deliveries?window=hour&webhookId=${hooks.slow}`)).body;
  expect(slow.total).toMatchObject({ attempts: attemptTotal(want(hooks.slow)), outcomes: want(hooks.slow).attempts });
  // The percentiles against the exact ones of the attempts' own durations: in the same bucket.
  const durations = (await h.models.Notification.find({ webhookId: hooks.slow }, { 'attempts.durationMs': 1 }).lean())
    .flatMap((n) => (n.attempts ?? []).map((a) => a.durationMs))
    .sort((x, y) => x - y);
  for (const [q, got] of [[0.5, slow.total.p50Ms], [0.95, slow.total.p95Ms]] as const) {
    const exact = durations[Math.ceil(q * durations.length) - 1];
    const [lower, upper] = bucketAround(exact);
    expect({ q, exact, got: Math.min(Math.max(got, lower), upper) }).toEqual({ q, exact, got });
  }
  expect(slow.total.p95Ms).toBeGreaterThanOrEqual(slow.total.p50Ms);
  const busy = slow.series.filter((p: { attempts: number }) => p.attempts > 0);
  expect(busy.length).toBeGreaterThan(0);
  for (const p of busy) expect(p.p50Ms).not.toBeNull();
  for (const p of slow.series.filter((q: { attempts: number }) => q.attempts === 0)) expect(p).toMatchObject({ p50Ms: null, p95Ms: null });
  // Timed-out attempts waited their full second.
  expect((await h.api('GET', `/v1/stats/deliveries?webhookId=${hooks.timeout}`)).body.total.p50Ms).toBeGreaterThanOrEqual(700);

  const day = (await h.api('GET', `/v1/stats/deliveries?window=day&webhookId=${hooks.failing}`)).body;
  expect(day).toMatchObject({ window: 'day', stepSeconds: 3600, webhookId: hooks.failing });
  expect(day.series).toHaveLength(24);
  expect(sum(day.series)).toBe(attemptTotal(want(hooks.failing)));
  expect(day.total.outcomes.http_status).toBe(want(hooks.failing).attempts.http_status);

  const byWebhook = new Map((await h.api('GET', '/v1/stats/webhooks')).body.data.map((r: { webhookId: string }) => [r.webhookId, r]));
  expect(byWebhook.get(hooks.ok)).toMatchObject({ notifications: { total: EVENTS, sent: EVENTS, pending: 0 }, attempts: attemptTotal(want(hooks.ok)), successRate: 1 });
  expect(byWebhook.get(hooks.failing)).toMatchObject({ notifications: { total: EVENTS, failed: EVENTS }, attempts: attemptTotal(want(hooks.failing)), successRate: 0 });
  expect(byWebhook.get(hooks.timeout)).toMatchObject({ notifications: { total: SLOW_EVENTS, failed: SLOW_EVENTS }, attempts: attemptTotal(want(hooks.timeout)) });

  expect((await h.api('GET', '/v1/stats/deliveries?window=week')).status).toBe(400);
  expect((await h.api('GET', '/v1/stats/deliveries?webhookId=wh_unknown')).status).toBe(404);
});

test('compacting into blocks, then into hours twice at once and again later, keeps every sum (one run per half minute; the other skips)', async () => {
  const before = await stored();
  // Fifteen minutes on: the burst's blocks are closed, its hour not yet.
  const blocks = await compactAccount(h.models.DeliveryRollup, DEFAULT_ACCOUNT, new Date(Date.now() + 15 * 60_000));
  expect(blocks.blocks).toBeGreaterThan(0);
  const inBlocks = await stored();
  for (const id of Object.values(hooks)) expect(countsOf(inBlocks.sums.get(id))).toEqual(countsOf(before.sums.get(id)));
  const series = (await h.api('GET', '/v1/stats/deliveries?window=hour')).body;
  expect(series.total.attempts).toBe([...before.sums.values()].reduce((n, t) => n + attemptTotal(t), 0));

  // Three hours on: every minute so far is in a closed hour.
  const later = Date.now() + 3 * 3_600_000;
  const [a, b] = await Promise.all([
    compactAccount(h.models.DeliveryRollup, DEFAULT_ACCOUNT, new Date(later)),
    compactAccount(h.models.DeliveryRollup, DEFAULT_ACCOUNT, new Date(later)),
  ]);
  expect([a.skipped, b.skipped].sort()).toEqual([false, true]);
  const ran = a.skipped ? b : a;
  expect(ran.hours).toBeGreaterThan(0);
  const after = await stored();
  expect(after.docs).toBeLessThanOrEqual(2); // one per hour the burst touched
  for (const id of Object.values(hooks)) expect(countsOf(after.sums.get(id))).toEqual(countsOf(before.sums.get(id)));
  for (const id of Object.values(hooks)) expect(attemptTotal(after.sums.get(id)!)).toBe(attemptTotal(before.sums.get(id)!));

  // A late count for a notification of that hour (a status change, counted in its creation minute): merged by the next run.
  const n = await h.models.Notification.findOne({ webhookId: hooks.failing }).lean();
  rollupsOf(h.models).status(hooks.failing, n!._id, 'failed', 'sent');
  await rollupsOf(h.models).flush();
  const again = await compactAccount(h.models.DeliveryRollup, DEFAULT_ACCOUNT, new Date(later + 60_000));
  expect(again.hours).toBe(1);
  const final = await stored();
  expect(final.docs).toBe(after.docs);
  expect(countsOf(final.sums.get(hooks.failing)).statuses).toEqual({ failed: EVENTS - 1, sent: 1 });
  expect(countsOf(final.sums.get(hooks.failing)).attempts).toEqual(countsOf(before.sums.get(hooks.failing)).attempts);
});
