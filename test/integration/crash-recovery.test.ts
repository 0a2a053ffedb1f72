/**
 * Crash safety on the real stack. (1) A worker process killed with SIGKILL in the middle of an
 * attempt: Temporal notices when the attempt's startToCloseTimeout (the webhook's timeoutSeconds
 * + 5 s) runs out and retries it on another worker; the notification still ends `sent`, once.
 * (2) An event accepted while the API's Temporal address is dead: it is stored, answered 202 at
 * once, and the dispatcher starts its workflow when Temporal is reachable again.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { spawnWorkerProcess } from '../helpers/herald-process';
import { FAST_RETRY, startTestHerald, waitForStatus, type TestHerald } from '../helpers/herald';
import { createApp } from '../../src/app';
import { listen } from '../../src/boot';
import { startDispatchSweeper } from '../../src/dispatch-sweeper';
import type { TemporalHandle } from '../../src/temporal';

let h: TestHerald;
let receiver: Receiver;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startTestHerald({ worker: false });
  receiver = await startReceiver();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await h?.stop();
  await receiver?.close();
});

/** Starts a worker process for this test's task queue and waits until it reports ready. */
async function spawnWorker(): Promise<{ child: ChildProcess; metrics: string }> {
  const worker = await spawnWorkerProcess({
    TEMPORAL_ADDRESS: h.config.temporal.address,
    MONGODB_URI: h.config.mongodbUri,
    HERALD_TASK_QUEUE: h.config.temporal.taskQueue,
    HERALD_ENCRYPTION_KEY: h.config.encryptionKey,
    HERALD_API_KEYS: h.config.apiKeys.join(','),
    HERALD_ALLOW_PRIVATE_DESTINATIONS: 'true',
    HERALD_WORKER_METRICS_PORT: '0',
    HERALD_DATA_DIR: process.env.HERALD_TEST_DATA_DIR,
  });
  children.push(worker.child);
  return { child: worker.child, metrics: worker.metrics! };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

test('a worker killed with SIGKILL mid-delivery is replaced and the notification is still sent, once', async () => {
  // The first request hangs (the worker dies while waiting for it); later ones succeed.
  receiver.respond((req) => (receiver.requests.filter((r) => r.url === '/crash').length === 1 && req.url === '/crash' ? { status: 200, delayMs: 60_000 } : { status: 200 }));
  const hook = await h.api('POST', '/v1/webhooks', { name: 'crash', eventTypes: ['crash.test'], url: `${receiver.url}/crash`, timeoutSeconds: 2, retry: FAST_RETRY });
  expect(hook.status).toBe(201);

  const first = await spawnWorker();
  const res = await h.api('POST', '/v1/events', { type: 'crash.test', data: { n: 1 } });
  expect(res.status).toBe(202);
  const id = res.body.notifications[0].id;
  await receiver.waitForRequests(1);
  first.child.kill('SIGKILL');
  await exited(first.child);
  expect(first.child.signalCode).toBe('SIGKILL');

  const second = await spawnWorker();
  const final = await waitForStatus(h, id, ['sent', 'failed'], 60_000);
  expect(final.status).toBe('sent');
  // The killed attempt never finished, so it was never recorded; the retry is attempt 1, same round.
  expect(final.attempts).toHaveLength(1);
  expect(final.attempts[0]).toMatchObject({ number: 1, trigger: 'automatic', statusCode: 200 });
  const hits = receiver.requests.filter((r) => r.url === '/crash');
  expect(hits).toHaveLength(2);
  // At-least-once: the receiver saw the same delivery twice, with the same idempotency key to deduplicate.
  expect(hits[1].headers['x-notifications-idempotency-key']).toBe(hits[0].headers['x-notifications-idempotency-key']);
  expect(final.attempts[0].idempotencyKey).toBe(hits[0].headers['x-notifications-idempotency-key']);
  expect(await h.models.Notification.countDocuments({ eventId: res.body.id })).toBe(1);

  // The worker-only process exposes its own /metrics (attempts are counted where they happen).
  const text = await (await fetch(second.metrics)).text();
  expect(text).toMatch(/herald_attempts_total\{outcome="success"\} 1/);
  expect(text).toMatch(/herald_notifications\{status="sent"\} 1/);

  second.child.kill('SIGTERM');
  await exited(second.child);
  // A worker dies mid first attempt: the workflow task times out (10 s), its sticky queue too, then
  // the replacement (which bundles at start) takes it over.
}, 120_000);

test('an event accepted while Temporal is unreachable is answered 202 at once and dispatched later', async () => {
  await h.startWorker();
  // The API's Temporal handle points at a closed port: every start fails, as if Temporal were down.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const connection = Connection.lazy({ address: `127.0.0.1:${deadPort}` });
  const dead: TemporalHandle = {
    connection,
    client: new Client({ connection, namespace: h.config.temporal.namespace }),
    namespace: h.config.temporal.namespace,
    taskQueue: h.config.temporal.taskQueue,
    close: () => connection.close(),
  };
  const server = await listen(createApp({ ...h.deps, temporal: dead }), 0, '127.0.0.1');
  try {
    const hook = await h.api('POST', '/v1/webhooks', { name: 'later', eventTypes: ['later.test'], url: `${receiver.url}/later` });
    expect(hook.status).toBe(201);
    const started = Date.now();
    const res = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.config.apiKeys[0]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'later.test', data: { ok: true } }),
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(202);
    // Bounded by the 5 s start deadline, not the SDK's ~20 s of gRPC retries.
    expect(Date.now() - started).toBeLessThan(10_000);
    const id = body.notifications[0].id;
    const event = await h.models.Event.findById(body.id).lean();
    expect(event!.dispatchedAt).toBeNull();
    const missing = await h.temporal.client.workflow.getHandle(`notification-${id}`).describe().catch((err: Error) => err.name);
    expect(missing).toBe('WorkflowNotFoundError');

    // Temporal is back (the real handle): the sweeper finishes the job on its own timer.
    const sweeper = startDispatchSweeper(h.deps, { intervalMs: 200, graceMs: 0 });
    try {
      const final = await waitForStatus(h, id, ['sent']);
      expect(final.attempts).toHaveLength(1);
      expect(receiver.requests.filter((r) => r.url === '/later')).toHaveLength(1);
      expect((await h.models.Event.findById(body.id).lean())!.dispatchedAt).toEqual(expect.any(Date));
    } finally {
      sweeper.stop();
    }
  } finally {
    await server.close();
    await dead.close();
  }
});
