/**
 * Zero loss through every single-process fault (issue 12): on a stack of its own (FerretDB and the
 * Temporal engine as supervised children, the API and the worker as separate processes, so
 * killing them hurts no other test file), a client posts a burst of events while one process is
 * killed with SIGKILL; every event answered 2xx must end with both its notifications `sent` and
 * seen by a real receiver, counted per notification.
 *
 * The client behaves like a careful real one: each event has its own Idempotency-Key; a request
 * that fails (connection refused or reset, a 5xx) promised nothing, so it is sent again with the
 * same key until it gets a 2xx. After the restart, every event is posted once more with its key:
 * the answer must be the first result, complete (both notifications), however far the first fan-out
 * got before the crash.
 *
 * The engine follows HERALD_TEST_TEMPORAL_ENGINE like the shared stack (test/helpers/global-setup.ts):
 * `server` runs a real Temporal server on PostgreSQL, and its PostgreSQL is killed too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { startEmbeddedStack, type EmbeddedStack } from '../../src/embedded/stack';
import { freePort } from '../../src/embedded/child-process';
import { connectDatabase, type Database } from '../../src/db';
import { startReceiver, type ReceivedRequest, type Receiver } from '../helpers/receiver';
import { heraldProcessEnv, killProcesses, spawnApiProcess, spawnWorkerProcess, type HeraldProcess } from '../helpers/herald-process';
import { apiClient, type ApiClient } from '../helpers/api-client';
import { eventually } from '../helpers/herald';
import { testTemporalEngine } from '../helpers/engine';

const API_KEY = 'zero-loss-key-0123456789abcdef';
/** Events per burst, requests in flight at once, and how many answered 2xx before the kill. */
const EVENTS = 60;
const LANES = 15;
const KILL_AFTER = 20;
/** The receiver takes this long to answer, so attempts are in flight when a process dies. */
const RECEIVER_DELAY_MS = 150;

type Killable = 'worker' | 'api' | 'ferretdb' | 'temporal' | 'postgres';
const ENGINE = testTemporalEngine();

let dataDir: string;
let stack: EmbeddedStack;
let db: Database;
let receiver: Receiver;
let env: NodeJS.ProcessEnv & { PORT: string };
let api: HeraldProcess & { url: string };
let worker: HeraldProcess;
let client: ApiClient;
/** Requests the receiver is answering right now. */
let open = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-zero-loss-'));
  const [temporalPort, mongoPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  stack = await startEmbeddedStack({
    dataDir,
    temporal: { port: temporalPort, namespace: 'default', engine: ENGINE },
    mongo: { port: mongoPort },
    tools: { temporalBin: process.env.HERALD_TEMPORAL_BIN, ferretdbBin: process.env.HERALD_FERRETDB_BIN, cacheDir: process.env.HERALD_TOOLS_DIR },
  });
  receiver = await startReceiver(async () => {
    open++;
    await delay(RECEIVER_DELAY_MS);
    open--;
    return { status: 200, body: 'ok' };
  });
  env = heraldProcessEnv({ port: apiPort, temporalAddress: stack.temporalAddress!, mongodbUri: `${stack.mongoUriBase}/herald_zero_loss`, taskQueue: 'herald-zero-loss', apiKey: API_KEY, dataDir });
  client = apiClient(`http://127.0.0.1:${env.PORT}`, API_KEY);
  [api, worker] = await Promise.all([spawnApiProcess(env), spawnWorkerProcess(env)]);
  db = await connectDatabase(env.MONGODB_URI!);
  for (const name of ['a', 'b']) {
    const res = await client.request('POST', '/v1/webhooks', {
      name: `zero-loss ${name}`,
      eventTypes: ['zero.loss'],
      url: `${receiver.url}/${name}`,
      timeoutSeconds: 3,
      // Retries 1 s apart: an attempt cut off by the fault is made again quickly.
      retry: { maxAttempts: 20, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 1 },
    });
    expect(res?.status).toBe(201);
  }
}, 180_000);

afterAll(async () => {
  await killProcesses([api, worker]);
  await db?.close();
  await receiver?.close();
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface EventAnswer {
  id: string;
  notifications: Array<{ id: string; webhookId: string; status: string }>;
}

interface PostedEvent {
  key: string;
  body: { type: string; data: Record<string, unknown> };
  /** The first 2xx answer: from then on the event is a promise. */
  answer?: EventAnswer;
  /** Requests that got no answer or a 5xx before that. */
  failures: number;
}

/** Posts until a 2xx; no answer or a 5xx is retried with the same Idempotency-Key. */
async function postUntilAccepted(e: PostedEvent): Promise<void> {
  e.answer = await client.postUntilAccepted(e.key, e.body, { timeoutMs: 90_000, onFailure: () => e.failures++ });
}

interface Kill {
  /** Notifications recorded `sent` just before the kill. */
  sentBefore: Set<string>;
  acceptedBefore: number;
  killedAt: number;
  /** When the killed process was serving again (restarted and ready). */
  backAt: number;
}

/** SIGKILLs one process while an attempt is in flight at the receiver, and brings it back. */
async function kill(target: Killable, accepted: () => number, started: () => void): Promise<Kill> {
  await eventually(async () => open > 0, 20_000, 'an attempt in flight at the receiver');
  const sentBefore = new Set((await db.models.Notification.find({ status: 'sent' }, { _id: 1 }).lean()).map((n) => String(n._id)));
  const acceptedBefore = accepted();
  const killedAt = Date.now();
  started();
  if (target === 'worker' || target === 'api') {
    const victim = target === 'worker' ? worker : api;
    victim.child.kill('SIGKILL');
    await victim.exited();
    // We are its supervisor: start a new one at once (the API on the same port).
    if (target === 'worker') worker = await spawnWorkerProcess(env);
    else api = await spawnApiProcess(env);
  } else {
    // The embedded stack's supervisor restarts it on the same port, with the same data.
    const restarts = stack.restarts(target);
    stack.process(target)!.child.kill('SIGKILL');
    await eventually(async () => stack.restarts(target) > restarts, 60_000, `${target} to be restarted`);
  }
  return { sentBefore, acceptedBefore, killedAt, backAt: Date.now() };
}

/** Waits until every notification of these events is `sent` and was seen by the receiver. */
async function allDelivered(eventIds: string[], timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const notifications = await db.models.Notification.find({ eventId: { $in: eventIds } }, { status: 1, eventId: 1 })
      .lean()
      .catch(() => null);
    if (notifications) {
      const seen = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
      const missing = notifications.filter((n) => n.status !== 'sent' || !seen.has(String(n._id)));
      if (notifications.length === eventIds.length * 2 && missing.length === 0) return notifications.map((n) => String(n._id));
      if (Date.now() > deadline) {
        const events = await db.models.Event.find({ _id: { $in: eventIds } }, { dispatchedAt: 1 }).lean();
        throw new Error(
          `after ${timeoutMs} ms: ${notifications.length}/${eventIds.length * 2} notifications exist, ` +
            `${events.filter((e) => !e.dispatchedAt).length} events undispatched, not sent or not received: ` +
            JSON.stringify(missing.slice(0, 10).map((n) => ({ id: n._id, eventId: n.eventId, status: n.status, seen: seen.has(String(n._id)) }))),
        );
      }
    }
    await delay(200);
  }
}

async function inLanes<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: LANES }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function burstWithKill(target: Killable) {
  const run = `${target}-${randomBytes(3).toString('hex')}`;
  const events: PostedEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
    key: `${run}-${i}`,
    body: { type: 'zero.loss', data: { run, n: i } },
    failures: 0,
  }));
  let accepted = 0;
  let killing: Promise<Kill> | undefined;
  // The last events are posted only once the kill has begun, so the kill always comes mid-burst:
  // on a fast machine the whole burst was otherwise accepted while the kill waited for an attempt
  // in flight at the receiver.
  let killStarted!: () => void;
  const killBegun = new Promise<void>((resolve) => (killStarted = resolve));
  await inLanes(events, async (e) => {
    if (events.indexOf(e) >= KILL_AFTER + LANES) await killBegun;
    await postUntilAccepted(e);
    accepted++;
    if (accepted >= KILL_AFTER && !killing) killing = kill(target, () => accepted, killStarted);
  });
  const k = await killing!;

  // A repeat of every request after the crash answers with the first result, complete: both
  // notifications, the ones the first answer listed (it lists none if its fan-out was cut off).
  const repeats = new Map<string, EventAnswer>();
  await inLanes(events, async (e) => {
    const res = await client.request('POST', '/v1/events', e.body, { 'idempotency-key': e.key });
    expect(res?.status).toBe(200);
    repeats.set(e.key, res!.body);
  });
  for (const e of events) {
    const repeat = repeats.get(e.key)!;
    expect(repeat.id).toBe(e.answer!.id);
    expect(repeat.notifications).toHaveLength(2);
    expect(repeat.notifications.map((n) => n.id)).toEqual(expect.arrayContaining(e.answer!.notifications.map((n) => n.id)));
  }

  const eventIds = events.map((e) => e.answer!.id);
  const ids = await allDelivered(eventIds);
  const doneAt = Date.now();
  // Nothing was stored twice: one event per key, two notifications per event (asserted above).
  expect(await db.models.Event.countDocuments({ _id: { $in: eventIds } })).toBe(EVENTS);
  expect(new Set(eventIds).size).toBe(EVENTS);

  const receipts = new Map<string, ReceivedRequest[]>(ids.map((id) => [id, []]));
  for (const r of receiver.requests) receipts.get(String(r.headers['webhook-id']))?.push(r);
  const duplicated = [...receipts].filter(([, rs]) => rs.length > 1);
  // An attempt in flight at the kill: its notification was not recorded `sent` before the kill, and
  // its request reached the receiver before the killed process was back. Only such an attempt can
  // be repeated: its outcome was lost with the process (worker), could not be recorded (FerretDB)
  // or reported (Temporal), so Temporal runs it again. A notification recorded `sent` is never sent
  // again, and an attempt that starts after the recovery is recorded normally.
  const inFlight = new Set(ids.filter((id) => !k.sentBefore.has(id) && receipts.get(id)![0].at <= k.backAt));
  for (const [id, rs] of duplicated) {
    expect(inFlight.has(id)).toBe(true);
    // The repeat is the same delivery: the receiver can drop it by its idempotency key.
    expect(new Set(rs.map((r) => r.headers['x-notifications-idempotency-key'])).size).toBe(1);
  }
  const summary = {
    target,
    events: EVENTS,
    notifications: ids.length,
    acceptedBeforeKill: k.acceptedBefore,
    failedRequests: events.reduce((sum, e) => sum + e.failures, 0),
    firstAnswersWithoutNotifications: events.filter((e) => e.answer!.notifications.length === 0).length,
    inFlightAtKill: inFlight.size,
    duplicates: duplicated.reduce((sum, [, rs]) => sum + rs.length - 1, 0),
    backAfterMs: k.backAt - k.killedAt,
    allSentAfterMs: doneAt - k.killedAt,
  };
  process.stdout.write(`zero-loss ${JSON.stringify(summary)}\n`);
  // The kill came mid-burst: events were still being posted.
  expect(k.acceptedBefore).toBeLessThan(EVENTS);
  return summary;
}

test('a worker killed mid-burst: nothing lost; only attempts in flight at the kill are repeated', async () => {
  const s = await burstWithKill('worker');
  expect(s.duplicates).toBeLessThanOrEqual(s.inFlightAtKill);
}, 180_000);

test('the API killed mid-burst: nothing lost, nothing sent twice', async () => {
  const s = await burstWithKill('api');
  // The API makes no deliveries, and fan-out and workflow starts are idempotent.
  expect(s.duplicates).toBe(0);
}, 180_000);

test('FerretDB killed mid-burst: nothing lost; only attempts in flight at the kill are repeated', async () => {
  const s = await burstWithKill('ferretdb');
  expect(s.duplicates).toBeLessThanOrEqual(s.inFlightAtKill);
}, 180_000);

test(`the Temporal ${ENGINE === 'server' ? 'server' : 'dev server'} killed mid-burst: nothing lost; only attempts in flight at the kill are repeated`, async () => {
  const s = await burstWithKill('temporal');
  expect(s.duplicates).toBeLessThanOrEqual(s.inFlightAtKill);
  expect(worker.child.exitCode).toBeNull();
}, 180_000);

// The server engine's store is a process of its own: killing it is one more single-process fault.
// The dev engine keeps its store inside the Temporal process (the test above).
if (ENGINE === 'server') {
  test('PostgreSQL (the Temporal server\'s store) killed mid-burst: nothing lost; only attempts in flight at the kill are repeated', async () => {
    const s = await burstWithKill('postgres');
    expect(s.duplicates).toBeLessThanOrEqual(s.inFlightAtKill);
    expect(worker.child.exitCode).toBeNull();
  }, 180_000);
}
