/**
 * The communication history API: filters (status, webhookId, eventId, eventType, since, until),
 * newest first, cursor pagination that neither skips nor repeats, and validation of the query.
 */
import { startReceiver, type Receiver } from '../helpers/receiver';
import { FAST_RETRY, startTestHerald, waitForStatus, type TestHerald } from '../helpers/herald';

let h: TestHerald;
let receiver: Receiver;
let okHook: string;
let downHook: string;
const events: Array<{ id: string; type: string; notifications: Array<{ id: string; webhookId: string }> }> = [];
let middle: Date;

beforeAll(async () => {
  h = await startTestHerald();
  receiver = await startReceiver((req) => (req.url === '/down' ? { status: 500 } : { status: 200 }));
  okHook = (await h.api('POST', '/v1/webhooks', { name: 'ok', eventTypes: ['history.a', 'history.b'], url: `${receiver.url}/ok` })).body.id;
  downHook = (await h.api('POST', '/v1/webhooks', { name: 'down', eventTypes: ['history.a'], url: `${receiver.url}/down`, retry: { ...FAST_RETRY, maxAttempts: 1 } })).body.id;
  for (let i = 0; i < 6; i++) {
    if (i === 3) middle = new Date();
    const res = await h.api('POST', '/v1/events', { type: i % 2 ? 'history.b' : 'history.a', data: { i } });
    events.push(res.body);
  }
  const all = events.flatMap((e) => e.notifications);
  await Promise.all(all.map((n) => waitForStatus(h, n.id, ['sent', 'failed'])));
});
afterAll(async () => {
  await h?.stop();
  await receiver?.close();
});

async function list(query: string) {
  const res = await h.api('GET', `/v1/notifications?${query}`);
  expect(res.status).toBe(200);
  return res.body as { data: Array<{ id: string; status: string; webhookId: string; eventType: string; eventId: string; createdAt: string; attempts?: unknown; request: unknown }>; nextCursor: string | null };
}

test('pages of 4 walk every notification once, newest first, and end with nextCursor null', async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await list(`limit=4${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.data.length).toBeLessThanOrEqual(4);
    seen.push(...page.data.map((n) => n.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  // 6 events to okHook + 3 (history.a) to downHook
  expect(seen).toHaveLength(9);
  expect(new Set(seen).size).toBe(9);
  expect(seen).toEqual([...seen].sort().reverse());
  expect(pages).toBe(3);
  const first = await list('limit=4');
  // The list is a summary: no attempts or bodies.
  expect(first.data[0].attempts).toBeUndefined();
  expect(Object.keys(first.data[0].request as object).sort()).toEqual(['method', 'url']);
});

test('filters by status, webhookId, eventType and eventId, and combines them', async () => {
  const failed = await list('status=failed');
  expect(failed.data).toHaveLength(3);
  expect(failed.data.every((n) => n.status === 'failed' && n.webhookId === downHook)).toBe(true);

  expect((await list(`webhookId=${okHook}`)).data).toHaveLength(6);
  expect((await list('eventType=history.b')).data.every((n) => n.eventType === 'history.b')).toBe(true);
  expect((await list('eventType=history.b')).data).toHaveLength(3);
  expect((await list(`eventType=history.a&webhookId=${okHook}&status=sent`)).data).toHaveLength(3);

  const byEvent = await list(`eventId=${events[0].id}`);
  expect(byEvent.data.map((n) => n.webhookId).sort()).toEqual([okHook, downHook].sort());
});

test('since and until bound createdAt', async () => {
  const later = await list(`since=${middle.toISOString()}`);
  const laterIds = new Set(events.slice(3).flatMap((e) => e.notifications.map((n) => n.id)));
  expect(new Set(later.data.map((n) => n.id))).toEqual(laterIds);
  const earlier = await list(`until=${middle.toISOString()}`);
  expect(earlier.data).toHaveLength(9 - laterIds.size);
  expect((await list(`since=${middle.toISOString()}&until=${middle.toISOString()}`)).data).toHaveLength(0);
});

test('a bad query is 400 with every problem listed', async () => {
  const res = await h.api('GET', '/v1/notifications?status=lost&since=yesterday&limit=0&cursor=DROP TABLE');
  expect(res.status).toBe(400);
  expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['cursor', 'limit', 'since', 'status']);
});

test('GET /v1/notifications/{id} has every field of the contract; unknown is 404', async () => {
  const id = events[0].notifications.find((n) => n.webhookId === okHook)!.id;
  const res = await h.api('GET', `/v1/notifications/${id}`);
  for (const field of ['id', 'eventId', 'eventType', 'webhookId', 'webhookName', 'status', 'request', 'attempts', 'attemptCount', 'nextAttemptAt', 'createdAt', 'updatedAt', 'sentAt', 'failedAt', 'workflowId']) {
    expect(res.body).toHaveProperty(field);
  }
  expect(res.body.attempts[0]).toEqual(
    expect.objectContaining({ number: 1, trigger: 'automatic', idempotencyKey: expect.any(String), startedAt: expect.any(String), finishedAt: expect.any(String), durationMs: expect.any(Number), statusCode: 200, responseHeaders: expect.any(Object) }),
  );
  expect((await h.api('GET', '/v1/notifications/ntf_nope')).status).toBe(404);
});
