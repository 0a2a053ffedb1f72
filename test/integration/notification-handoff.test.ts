/**
 * The notification handoff (src/delivery/handoff.ts): with the API and the worker in one process,
 * the fan-out's stored notifications go to their first attempts, which then send without reading
 * the notification back. What is handed over must be exactly what MongoDB holds, and only what
 * this process inserted.
 */
import { startTestHerald, useHeraldAndReceiver, waitForStatus, type TestHerald } from '../helpers/herald';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { ATTEMPT_PROJECTION } from '../../src/models/notification';
import { createNotifications } from '../../src/fan-out';
import { DEFAULT_ACCOUNT } from '../../src/accounts/scope';

// Every command the driver sends, so the test can see which reads an attempt made.
const { h, receiver } = useHeraldAndReceiver({ env: { MONGODB_URI: `${process.env.HERALD_TEST_MONGO_URI_BASE}/herald_test_handoff?monitorCommands=true` } });

/** The attempt's read of one notification (its projection is the attempt's own), as sent to MongoDB. */
function attemptReads(herald: TestHerald): { of(id: string): number } {
  const reads: string[] = [];
  herald.db.connection.getClient().on('commandStarted', (e: { commandName: string; command: { find?: string; filter?: { _id?: unknown }; projection?: Record<string, unknown> } }) => {
    const c = e.command;
    if (e.commandName === 'find' && c.find === 'notifications' && c.projection?.['attempts.idempotencyKey'] === 1 && typeof c.filter?._id === 'string') reads.push(c.filter._id);
  });
  return { of: (id) => reads.filter((r) => r === id).length };
}

async function createWebhook(herald: TestHerald, url: string, name: string) {
  const res = await herald.api('POST', '/v1/webhooks', { name, eventTypes: ['handoff.test'], url, headers: { 'x-static': 'kept' } });
  expect(res.status).toBe(201);
  return res.body;
}

test('a first attempt in the process that fanned the event out sends without reading the notification back', async () => {
  const reads = attemptReads(h);
  const webhook = await createWebhook(h, `${receiver.url}/handoff`, 'handoff');
  const before = receiver.requests.length;

  const res = await h.api('POST', '/v1/events', { type: 'handoff.test', data: { amount: 7 } });
  expect(res.status).toBe(202);
  const id = res.body.notifications.find((n: { webhookId: string }) => n.webhookId === webhook.id).id;
  const final = await waitForStatus(h, id, ['sent']);

  // Sent exactly as stored, attempt recorded, and the attempt never read the notification.
  const received = receiver.requests.slice(before).find((r) => r.url === '/handoff')!;
  expect(received.body).toBe(final.request.body);
  expect(received.headers['x-static']).toBe('kept');
  expect(final.attempts).toHaveLength(1);
  expect(reads.of(id)).toBe(0);
  expect(h.deps.handoff!.take(DEFAULT_ACCOUNT, id)).toBeUndefined();
});

describe('without a worker in the process', () => {
  let apiOnly: TestHerald;
  let hook: Receiver;
  beforeAll(async () => {
    [apiOnly, hook] = await Promise.all([startTestHerald({ worker: false }), startReceiver()]);
  });
  afterAll(async () => {
    await apiOnly?.stop();
    await hook?.close();
  });

  test('what is handed over is what MongoDB holds, and a redone fan-out hands nothing over', async () => {
    await createWebhook(apiOnly, `${hook.url}/a`, 'a');
    await createWebhook(apiOnly, `${hook.url}/b`, 'b');
    const res = await apiOnly.api('POST', '/v1/events', { type: 'handoff.test', data: { amount: 8, note: 'exact' } });
    expect(res.status).toBe(202);
    const ids: string[] = res.body.notifications.map((n: { id: string }) => n.id);
    expect(ids).toHaveLength(2);

    for (const id of ids) {
      const stored = await apiOnly.models.Notification.findById(id, ATTEMPT_PROJECTION).lean();
      const handed = apiOnly.deps.handoff!.take(DEFAULT_ACCOUNT, id);
      expect(handed).toEqual({ ...stored, attemptCount: 0, attempts: [] });
      // Taken once: a retry or a later attempt reads MongoDB.
      expect(apiOnly.deps.handoff!.take(DEFAULT_ACCOUNT, id)).toBeUndefined();
    }

    // The sweeper or a duplicate request redoing the fan-out: the stored documents are the first ones.
    const event = (await apiOnly.models.Event.findById(res.body.id).lean())!;
    const again = await createNotifications(apiOnly.deps, event);
    expect(again.map((n) => n._id).sort()).toEqual([...ids].sort());
    expect(apiOnly.deps.handoff!.size).toBe(0);
  });
});
