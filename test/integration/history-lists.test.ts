/**
 * The history's lists at a size where a scan would show: a combination of filters that no index
 * serves whole reads its lead index at most MAX_SCAN notifications a page (a short page with a
 * cursor, never a read of the whole history); a cursor belongs to its filter; events by entity and
 * type. Notifications are inserted directly (copies of one shape) so thousands cost a second.
 */
import { newId } from '../../src/ids';
import { MAX_SCAN } from '../../src/history/notification-list';
import { startTestHerald, type TestHerald } from '../helpers/herald';

let h: TestHerald;
beforeAll(async () => {
  h = await startTestHerald({ worker: false });
});
afterAll(async () => h?.stop());

function notification(at: number, fields: Record<string, unknown>) {
  const id = newId('ntf', at);
  return {
    _id: id,
    accountId: 'default',
    eventId: newId('evt', at),
    eventType: 'scale.common',
    webhookId: 'wh_scale_a',
    webhookName: 'a',
    status: 'sent',
    request: { method: 'POST', url: 'https://a.example.com/', headers: {}, body: '{}' },
    attempts: [],
    attemptCount: 1,
    entityIds: [],
    destinationHost: 'a.example.com',
    workflowId: `notification-${id}`,
    createdAt: new Date(at),
    updatedAt: new Date(at),
    ...fields,
  };
}

async function page(query: string) {
  const r = await h.api('GET', `/v1/notifications?${query}`);
  expect(r.status).toBe(200);
  return r.body as { data: Array<{ id: string; eventType: string }>; nextCursor: string | null };
}

test('a combination no index serves whole answers in bounded pages, and still finds its match', async () => {
  const t0 = Date.UTC(2026, 5, 1);
  const rare = notification(t0, { eventType: 'scale.rare' });
  // Newer than the rare one: more than a page may read of the same webhook.
  const common = Array.from({ length: MAX_SCAN + 500 }, (_, i) => notification(t0 + 1000 + i, {}));
  await h.models.Notification.collection.insertMany([rare, ...common] as never[], { ordered: false });

  const first = await page('webhookId=wh_scale_a&eventType=scale.rare&limit=10');
  // The first page read its MAX_SCAN and stopped: nothing yet, and a cursor to go on.
  expect(first.data).toEqual([]);
  expect(first.nextCursor).toEqual(expect.any(String));
  const pages = [first];
  while (pages[pages.length - 1].nextCursor && pages.length < 10) {
    pages.push(await page(`webhookId=wh_scale_a&eventType=scale.rare&limit=10&cursor=${pages[pages.length - 1].nextCursor}`));
  }
  expect(pages.flatMap((p) => p.data.map((n) => n.id))).toEqual([rare._id]);
  expect(pages.length).toBe(2);
  // The index alone serves webhookId: a full page at once.
  expect((await page('webhookId=wh_scale_a&limit=10')).data).toHaveLength(10);
});

test('a cursor used with another filter is a 400 naming the cursor', async () => {
  const first = await page('webhookId=wh_scale_a&limit=2');
  expect(first.nextCursor).toEqual(expect.any(String));
  const r = await h.api('GET', `/v1/notifications?status=failed&limit=2&cursor=${first.nextCursor}`);
  expect(r.status).toBe(400);
  expect(r.body.error.details).toEqual([{ path: 'cursor', message: expect.stringMatching(/another filter/) }]);
  // The same filter takes it.
  expect((await page(`webhookId=wh_scale_a&limit=2&cursor=${first.nextCursor}`)).data).toHaveLength(2);
});

test('since and until are ranges of the time-ordered ids', async () => {
  const t0 = Date.UTC(2026, 6, 1);
  const docs = [0, 1, 2, 3].map((i) => notification(t0 + i * 60_000, { webhookId: 'wh_scale_time' }));
  await h.models.Notification.collection.insertMany(docs as never[]);
  const since = new Date(t0 + 60_000).toISOString();
  const until = new Date(t0 + 2 * 60_000).toISOString();
  const inRange = await page(`webhookId=wh_scale_time&since=${since}&until=${until}`);
  expect(inRange.data.map((n) => n.id)).toEqual([docs[2]._id, docs[1]._id]);
});

test('events by entity and type: the links lead, the type is checked, pages follow', async () => {
  const hook = await h.api('POST', '/v1/webhooks', { name: 'ent', eventTypes: ['ent.a', 'ent.b'], url: 'https://ent.example.com/hook' });
  expect(hook.status).toBe(201);
  for (const type of ['ent.a', 'ent.b', 'ent.a', 'ent.b', 'ent.a']) {
    expect((await h.api('POST', '/v1/events', { type, entityIds: ['loan-scale'] })).status).toBe(202);
  }
  const all = await h.api('GET', '/v1/events?entityId=loan-scale');
  expect(all.body.data).toHaveLength(5);
  const first = await h.api('GET', '/v1/events?entityId=loan-scale&type=ent.a&limit=2');
  expect(first.status).toBe(200);
  expect(first.body.data.map((e: { type: string }) => e.type)).toEqual(['ent.a', 'ent.a']);
  const second = await h.api('GET', `/v1/events?entityId=loan-scale&type=ent.a&limit=2&cursor=${first.body.nextCursor}`);
  expect(second.body.data.map((e: { type: string }) => e.type)).toEqual(['ent.a']);
  expect(second.body.nextCursor).toBeNull();
  const ids = [...first.body.data, ...second.body.data].map((e: { id: string }) => e.id);
  expect(new Set(ids).size).toBe(3);
  // Notifications of the entity, newest first, from the links.
  const notifications = await page('entityId=loan-scale');
  expect(notifications.data).toHaveLength(5);
});
