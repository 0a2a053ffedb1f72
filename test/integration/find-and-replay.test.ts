/**
 * Finding and replaying, on the real stack: notifications carry the event's entityIds, the
 * destination host and the last attempt's outcome, and filter on them; `GET /v1/events` finds the
 * events that created nothing (`matched=false`); a replay creates the missing notifications once,
 * and a second replay creates nothing.
 */
import { eventually, FAST_RETRY, useHeraldAndReceiver, waitForStatus, type TestHerald } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver({}, (req) =>
  req.url.startsWith('/denied')
    ? { status: 401, headers: { 'content-type': 'application/json' }, body: '{"error": {"code": "invalid_token", "message": "token expired"}}' }
    : { status: 200, body: 'ok' },
);

async function createWebhook(path: string, fields: Record<string, unknown>) {
  const res = await h.api('POST', '/v1/webhooks', { name: path, url: `${receiver.url}${path}`, retry: { ...FAST_RETRY, maxAttempts: 1 }, ...fields });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

async function postEvent(event: Record<string, unknown>) {
  const res = await h.api('POST', '/v1/events', event);
  expect(res.status).toBe(202);
  return res.body as { id: string; notifications: Array<{ id: string }> };
}

async function waitForJob(herald: TestHerald, jobId: string) {
  return eventually(async () => {
    const r = await herald.api('GET', `/v1/events/replay/${jobId}`);
    return r.status === 200 && r.body.status !== 'running' ? r.body : null;
  }, 60_000, `replay job ${jobId}`);
}

function requestsTo(path: string) {
  return receiver.requests.filter((r) => r.url === path);
}

describe('notification filters', () => {
  test('entityId, destinationHost, statusCode, errorKind and since/until find the right notifications', async () => {
    const ok = await createWebhook('/filters-ok', { eventTypes: ['filters.test'] });
    const denied = await createWebhook('/denied', { eventTypes: ['filters.test'] });
    const before = new Date().toISOString();
    const e1 = await postEvent({ type: 'filters.test', entityIds: ['client-1', 'loan-7'], data: {} });
    const e2 = await postEvent({ type: 'filters.test', entityIds: ['client-2'], data: {} });
    const all = [...e1.notifications, ...e2.notifications].map((n) => n.id);
    const finals = await Promise.all(all.map((id) => waitForStatus(h, id, ['sent', 'failed'])));

    const one = finals.find((n) => n.eventId === e1.id && n.webhookId === denied.id);
    expect(one).toMatchObject({ entityIds: ['client-1', 'loan-7'], destinationHost: `127.0.0.1:${receiver.port}`, lastStatusCode: 401, lastErrorKind: 'http_status', status: 'failed' });

    const list = async (q: string) => {
      const r = await h.api('GET', `/v1/notifications?${q}`);
      expect(r.status).toBe(200);
      return (r.body.data as Array<{ id: string; eventId: string; webhookId: string }>).map((n) => `${n.eventId}/${n.webhookId}`).sort();
    };
    expect(await list('entityId=loan-7')).toEqual([`${e1.id}/${ok.id}`, `${e1.id}/${denied.id}`].sort());
    expect(await list(`entityId=client-2&webhookId=${denied.id}`)).toEqual([`${e2.id}/${denied.id}`]);
    expect(await list(`destinationHost=127.0.0.1:${receiver.port}&eventType=filters.test`)).toHaveLength(4);
    expect(await list('destinationHost=elsewhere.example.com')).toEqual([]);
    expect(await list('statusCode=401&eventType=filters.test')).toEqual([`${e1.id}/${denied.id}`, `${e2.id}/${denied.id}`].sort());
    expect(await list('statusCode=200&eventType=filters.test')).toEqual([`${e1.id}/${ok.id}`, `${e2.id}/${ok.id}`].sort());
    expect(await list('errorKind=http_status&entityId=client-1')).toEqual([`${e1.id}/${denied.id}`]);
    expect(await list(`eventType=filters.test&since=${encodeURIComponent(before)}`)).toHaveLength(4);
    expect(await list(`eventType=filters.test&until=${encodeURIComponent(before)}`)).toEqual([]);
  });

  test('bad filter values and unknown parameters are a 400 naming each of them', async () => {
    const r = await h.api('GET', '/v1/notifications?statsu=failed&webhook=wh_1&statusCode=99&errorKind=nope');
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe('Unknown query parameter(s): statsu, webhook');
    expect(r.body.error.details.map((d: { path: string }) => d.path)).toEqual(['statsu', 'webhook', 'statusCode', 'errorKind']);
    expect(r.body.error.details[0].message).toMatch(/^unknown query parameter \(this route takes status, webhookId, eventId, eventType, entityId, destinationHost, statusCode, errorKind, since, until, limit, cursor\)$/);
  });

  test('every list route refuses unknown query parameters', async () => {
    const w = await createWebhook('/unknown-params', { eventTypes: ['unknown.params'] });
    for (const path of ['/v1/notifications', '/v1/events', '/v1/webhooks', `/v1/webhooks/${w.id}/subscriptions`, '/v1/sources', '/v1/variables']) {
      const r = await h.api('GET', `${path}?limit=5&bogus=1`);
      expect({ path, status: r.status, details: r.body.error?.details }).toEqual({ path, status: 400, details: [{ path: 'bogus', message: expect.stringMatching(/^unknown query parameter/) }] });
      expect((await h.api('GET', `${path}?limit=5`)).status).toBe(200);
    }
  });
});

describe('GET /v1/events', () => {
  test('lists events newest first with filters and cursors; matched=false finds the ones that created nothing', async () => {
    await createWebhook('/events-list', { eventTypes: ['list.matched'] });
    const a = await postEvent({ type: 'list.matched', entityIds: ['acct-1'], data: { n: 1 } });
    const b = await postEvent({ type: 'list.unmatched', entityIds: ['acct-1'], data: { n: 2 } });
    const c = await postEvent({ type: 'list.matched', entityIds: ['acct-2'], data: { n: 3 } });

    const byEntity = await h.api('GET', '/v1/events?entityId=acct-1');
    expect(byEntity.body.data.map((e: { id: string }) => e.id)).toEqual([b.id, a.id]);
    expect(byEntity.body.data[0]).toMatchObject({ id: b.id, type: 'list.unmatched', entityIds: ['acct-1'], data: { n: 2 }, notificationCount: 0, matched: false });
    expect(byEntity.body.data[1]).toMatchObject({ notificationCount: 1, matched: true });

    const unmatched = await h.api('GET', '/v1/events?matched=false&entityId=acct-1');
    expect(unmatched.body).toEqual({ data: [expect.objectContaining({ id: b.id })], nextCursor: null });
    const matched = await h.api('GET', '/v1/events?matched=true&type=list.matched');
    expect(matched.body.data.map((e: { id: string }) => e.id)).toEqual([c.id, a.id]);

    // Paging: one at a time, newest first, to the end.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { data: Array<{ id: string }>; nextCursor: string | null } } = await h.api('GET', `/v1/events?type=list.matched&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...r.body.data.map((e) => e.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([c.id, a.id]);
    // Without filters too: the second page continues exactly after the first.
    const first = await h.api('GET', '/v1/events?limit=2');
    const second = await h.api('GET', `/v1/events?limit=2&cursor=${first.body.nextCursor}`);
    expect(first.body.data.map((e: { id: string }) => e.id)).toEqual([c.id, b.id]);
    expect(second.body.data[0].id).toBe(a.id);

    const bad = await h.api('GET', '/v1/events?matched=maybe&cursor=zzz&since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['cursor', 'matched', 'since']);
  });
});

describe('replay', () => {
  test('an event that arrived while communications were none is found unmatched, replayed once after a webhook exists, and a second replay creates nothing', async () => {
    expect((await h.api('PUT', '/v1/settings', { webhookCommunications: 'none' })).status).toBe(200);
    const quiet = await postEvent({ type: 'replay.maintenance', entityIds: ['loan-9'], data: { amount: 5 } });
    expect(quiet.notifications).toEqual([]);
    // While communications are none a replay would create nothing: refused, not silently empty.
    const refused = await h.api('POST', `/v1/events/${quiet.id}/replay`);
    expect(refused.status).toBe(409);
    expect((await h.api('PUT', '/v1/settings', { webhookCommunications: 'enabled' })).status).toBe(200);

    const found = await h.api('GET', '/v1/events?matched=false&type=replay.maintenance');
    expect(found.body.data.map((e: { id: string }) => e.id)).toEqual([quiet.id]);

    const w = await createWebhook('/replayed', { eventTypes: ['replay.maintenance'] });
    const started = await h.api('POST', '/v1/events/replay', { type: 'replay.maintenance', matched: false });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ jobId: expect.stringMatching(/^job_/), events: 1 });
    const job = await waitForJob(h, started.body.jobId);
    expect(job).toMatchObject({ status: 'completed', result: { events: 1, created: 1, eventsWithNew: 1 } });

    await eventually(async () => requestsTo('/replayed').length === 1, 30_000, 'the replayed notification to arrive');
    const notifications = (await h.api('GET', `/v1/notifications?eventId=${quiet.id}`)).body.data;
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({ webhookId: w.id, entityIds: ['loan-9'] });
    await waitForStatus(h, notifications[0].id, ['sent']);
    expect((await h.api('GET', '/v1/events?matched=false&type=replay.maintenance')).body.data).toEqual([]);

    // Again, by id: nothing new, nothing sent twice.
    const again = await h.api('POST', `/v1/events/${quiet.id}/replay`);
    expect(again.status).toBe(202);
    expect(await waitForJob(h, again.body.jobId)).toMatchObject({ status: 'completed', result: { events: 1, created: 0, eventsWithNew: 0 } });
    expect((await h.api('GET', `/v1/notifications?eventId=${quiet.id}`)).body.data).toHaveLength(1);
    expect(requestsTo('/replayed')).toHaveLength(1);
    expect((await h.api('GET', `/v1/notifications/${notifications[0].id}`)).body.attempts).toHaveLength(1);
  });

  test('an event that matched no webhook is replayed to the webhook created since; pairs that exist are not touched', async () => {
    const first = await createWebhook('/replay-first', { eventTypes: ['replay.nomatch'], condition: { 'data.vip': true } });
    const plain = await postEvent({ type: 'replay.nomatch', data: { vip: false } });
    const vip = await postEvent({ type: 'replay.nomatch', data: { vip: true } });
    expect(plain.notifications).toEqual([]);
    await waitForStatus(h, vip.notifications[0].id, ['sent']);

    const second = await createWebhook('/replay-second', { eventTypes: ['replay.nomatch'] });
    const job = await h.api('POST', '/v1/events/replay', { type: 'replay.nomatch' });
    expect(job.body.events).toBe(2);
    expect(await waitForJob(h, job.body.jobId)).toMatchObject({ status: 'completed', result: { events: 2, created: 2, eventsWithNew: 2 } });
    const byEvent = async (id: string) => ((await h.api('GET', `/v1/notifications?eventId=${id}`)).body.data as Array<{ webhookId: string; id: string }>);
    expect((await byEvent(plain.id)).map((n) => n.webhookId)).toEqual([second.id]);
    expect((await byEvent(vip.id)).map((n) => n.webhookId).sort()).toEqual([first.id, second.id].sort());
    await Promise.all([...(await byEvent(plain.id)), ...(await byEvent(vip.id))].map((n) => waitForStatus(h, n.id, ['sent'])));
    // The existing (vip, first) pair was not sent again.
    expect(requestsTo('/replay-first')).toHaveLength(1);
    expect(requestsTo('/replay-second')).toHaveLength(2);
  });

  test('an empty filter, an unknown field and an unknown event are refused', async () => {
    const empty = await h.api('POST', '/v1/events/replay', {});
    expect(empty.status).toBe(400);
    expect(empty.body.error.details).toEqual([{ path: '', message: 'give at least one of type, entityId, since, until, matched' }]);
    const unknown = await h.api('POST', '/v1/events/replay', { typ: 'x' });
    expect(unknown.status).toBe(400);
    expect((await h.api('POST', '/v1/events/evt_nope/replay')).status).toBe(404);
    expect((await h.api('GET', '/v1/events/replay/job_nope')).status).toBe(404);
    const none = await h.api('POST', '/v1/events/replay', { type: 'never.seen' });
    expect(none).toMatchObject({ status: 202, body: { jobId: null, events: 0 } });
  });
});
