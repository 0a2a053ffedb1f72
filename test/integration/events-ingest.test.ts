/**
 * POST /v1/events on the real stack: validation, fan-out, and deduplication by Idempotency-Key or
 * repeated `id`, including duplicates that arrive at the same time (the unique index decides, and
 * every duplicate answers with the first result, notifications included).
 */
import { FAST_RETRY, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

async function createWebhook(type: string, path: string) {
  const res = await h.api('POST', '/v1/webhooks', { name: path, eventTypes: [type], url: `${receiver.url}${path}`, retry: FAST_RETRY });
  expect(res.status).toBe(201);
  return res.body;
}

/** Three identical posts at once: one 202 and two 200, all with the same event and notifications. */
async function postThreeAtOnce(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const results = await Promise.all([0, 1, 2].map(() => h.api('POST', '/v1/events', body, headers)));
  expect(results.map((r) => r.status).sort()).toEqual([200, 200, 202]);
  const first = results.find((r) => r.status === 202)!.body;
  for (const r of results) {
    expect(r.body.id).toBe(first.id);
    expect(r.body.notifications.map((n: { id: string }) => n.id)).toEqual(first.notifications.map((n: { id: string }) => n.id));
  }
  return first as { id: string; notifications: Array<{ id: string; webhookId: string }> };
}

async function expectOneDelivery(type: string, path: string, first: { id: string; notifications: Array<{ id: string }> }) {
  expect(await h.models.Event.countDocuments({ type })).toBe(1);
  expect(await h.models.Notification.countDocuments({ eventType: type })).toBe(1);
  expect(first.notifications).toHaveLength(1);
  await waitForStatus(h, first.notifications[0].id, ['sent']);
  expect(receiver.requests.filter((r) => r.url === path)).toHaveLength(1);
}

test('three concurrent posts with one Idempotency-Key create one event and one delivery', async () => {
  await createWebhook('concurrent.key', '/concurrent-key');
  const first = await postThreeAtOnce({ type: 'concurrent.key', data: { amount: 1 } }, { 'Idempotency-Key': 'key-concurrent-1' });
  await expectOneDelivery('concurrent.key', '/concurrent-key', first);
});

test('three concurrent posts with one event id create one event and one delivery', async () => {
  await createWebhook('concurrent.id', '/concurrent-id');
  const first = await postThreeAtOnce({ id: 'mambu-evt-42', type: 'concurrent.id', data: { amount: 1 } });
  expect(first.id).toBe('mambu-evt-42');
  await expectOneDelivery('concurrent.id', '/concurrent-id', first);
});

test('a later duplicate returns the first result with 200 and creates nothing', async () => {
  const w = await createWebhook('later.duplicate', '/later');
  const first = await h.api('POST', '/v1/events', { type: 'later.duplicate', data: { v: 1 } }, { 'Idempotency-Key': 'later-1' });
  expect(first.status).toBe(202);
  // A different body with the same key: still the first result (the key identifies the request).
  const again = await h.api('POST', '/v1/events', { type: 'later.duplicate', data: { v: 2 } }, { 'Idempotency-Key': 'later-1' });
  expect(again.status).toBe(200);
  expect(again.body).toEqual({ id: first.body.id, type: 'later.duplicate', notifications: [{ id: first.body.notifications[0].id, webhookId: w.id, status: expect.any(String) }] });
  // The same id under a new key is still a repeat of that event.
  const sameId = await h.api('POST', '/v1/events', { id: first.body.id, type: 'later.duplicate', data: {} }, { 'Idempotency-Key': 'later-2' });
  expect(sameId.status).toBe(200);
  expect(sameId.body.id).toBe(first.body.id);
  expect(await h.models.Event.countDocuments({ type: 'later.duplicate' })).toBe(1);
  expect(await h.models.Notification.countDocuments({ eventType: 'later.duplicate' })).toBe(1);
});

test('fan-out: every matching webhook gets one notification, listed in the answer and in GET /v1/events/{id}', async () => {
  const a = await createWebhook('fan.out', '/fan-a');
  const b = await createWebhook('fan.out', '/fan-b');
  const star = await h.api('POST', '/v1/webhooks', { name: 'all', eventTypes: ['*'], url: `${receiver.url}/fan-star`, enabled: true });
  const other = await createWebhook('not.this', '/fan-other');
  const res = await h.api('POST', '/v1/events', { type: 'fan.out', data: { x: 1 }, entityIds: ['client-1'], occurredAt: '2026-01-02T03:04:05+02:00' });
  expect(res.status).toBe(202);
  const hooks = res.body.notifications.map((n: { webhookId: string }) => n.webhookId);
  expect(hooks.sort()).toEqual([a.id, b.id, star.body.id].sort());
  expect(hooks).not.toContain(other.id);

  const read = await h.api('GET', `/v1/events/${res.body.id}`);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ id: res.body.id, type: 'fan.out', data: { x: 1 }, entityIds: ['client-1'], occurredAt: '2026-01-02T01:04:05.000Z' });
  expect(read.body.notifications.map((n: { id: string }) => n.id).sort()).toEqual(res.body.notifications.map((n: { id: string }) => n.id).sort());
  // The "*" webhook would otherwise receive every later event of this file.
  expect((await h.api('DELETE', `/v1/webhooks/${star.body.id}`)).status).toBe(204);
});

test('validation: every bad field in details; a bad Idempotency-Key is a 400 too', async () => {
  const res = await h.api('POST', '/v1/events', { id: 'no spaces', type: '', data: 'text', entityIds: 'client-1', occurredAt: 'soon', extra: true });
  expect(res.status).toBe(400);
  const paths = res.body.error.details.map((d: { path: string }) => d.path);
  expect(paths).toEqual(expect.arrayContaining(['id', 'type', 'data', 'entityIds', 'occurredAt']));
  expect(res.body.error.details.find((d: { path: string }) => d.path === 'type').message).toBe('is required');

  const key = await h.api('POST', '/v1/events', { type: 'x' }, { 'Idempotency-Key': 'k'.repeat(256) });
  expect(key.status).toBe(400);
  expect(key.body.error.details).toEqual([{ path: 'Idempotency-Key', message: expect.any(String) }]);
  expect(await h.models.Event.countDocuments({ type: 'x' })).toBe(0);
  expect((await h.api('GET', '/v1/events/evt_missing')).status).toBe(404);
});
