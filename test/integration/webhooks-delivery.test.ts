/**
 * What a webhook's configuration does to real deliveries, on the real stack with a real receiver:
 * methods, content types, static headers, URL templates, conditions, targeting, payload versions,
 * settings, disabled webhooks and the preview. "Nothing was created" is proven from the
 * POST /v1/events answer and the database, never by waiting and seeing nothing arrive.
 */
import { type ReceivedRequest } from '../helpers/receiver';
import { FAST_RETRY, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

async function createWebhook(path: string, body: Record<string, unknown>) {
  const res = await h.api('POST', '/v1/webhooks', { name: `hook ${path}`, url: `${receiver.url}${path}`, retry: FAST_RETRY, ...body });
  expect(res.status).toBe(201);
  return res.body;
}

async function postEvent(body: Record<string, unknown>) {
  const res = await h.api('POST', '/v1/events', body);
  expect(res.status).toBe(202);
  return res.body as { id: string; notifications: Array<{ id: string; webhookId: string; status: string }> };
}

/** Waits until the webhook's notification for this event is sent and returns what the receiver got. */
async function delivered(event: { notifications: Array<{ id: string; webhookId: string }> }, webhookId: string): Promise<ReceivedRequest> {
  const n = event.notifications.find((x) => x.webhookId === webhookId);
  expect(n).toBeDefined();
  await waitForStatus(h, n!.id, ['sent']);
  const got = receiver.requests.filter((r) => r.headers['webhook-id'] === n!.id);
  expect(got).toHaveLength(1);
  return got[0];
}

async function notificationCount(filter: Record<string, unknown>) {
  return h.models.Notification.countDocuments(filter);
}

test('PUT and PATCH methods are used as configured', async () => {
  const put = await createWebhook('/put', { eventTypes: ['method.test'], method: 'PUT' });
  const patch = await createWebhook('/patch', { eventTypes: ['method.test'], method: 'PATCH' });
  const event = await postEvent({ type: 'method.test', data: { n: 1 } });
  expect((await delivered(event, put.id)).method).toBe('PUT');
  expect((await delivered(event, patch.id)).method).toBe('PATCH');
});

test('an XML body arrives as application/xml, escaped; a text body as text/plain, as is', async () => {
  const xml = await createWebhook('/xml', {
    eventTypes: ['loan.disbursed.xml'],
    contentType: 'application/xml',
    bodyTemplate: '<loanDisbursed id="{{event.id}}"><client>{{data.client.name}}</client><amount currency="{{data.currency}}">{{data.amount}}</amount></loanDisbursed>',
  });
  const text = await createWebhook('/text', {
    eventTypes: ['loan.disbursed.xml'],
    contentType: 'text/plain',
    bodyTemplate: 'Loan disbursed to {{data.client.name}}: {{data.amount}} {{data.currency}}',
  });
  const event = await postEvent({ type: 'loan.disbursed.xml', data: { client: { name: `O'Brien & <Sons> "Ltd"` }, amount: 2500.5, currency: 'EUR' } });

  const x = await delivered(event, xml.id);
  expect(x.headers['content-type']).toBe('application/xml; charset=utf-8');
  expect(x.body).toBe(
    `<loanDisbursed id="${event.id}"><client>O&apos;Brien &amp; &lt;Sons&gt; &quot;Ltd&quot;</client><amount currency="EUR">2500.5</amount></loanDisbursed>`,
  );
  const t = await delivered(event, text.id);
  expect(t.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(t.body).toBe(`Loan disbursed to O'Brien & <Sons> "Ltd": 2500.5 EUR`);
});

test('a JSON template keeps hostile values inside their strings, and URL placeholders are encoded', async () => {
  const w = await createWebhook('/loans/{{data.loanId}}?client={{data.client}}', {
    eventTypes: ['json.template'],
    bodyTemplate: '{"client": "{{data.client}}", "amount": {{json data.amount}}, "raw": {{json data}}}',
  });
  const hostile = 'a b/c x&y "}, "admin": true, "\\\n\u2028';
  const event = await postEvent({ type: 'json.template', data: { loanId: 'a b/c', client: hostile, amount: 10 } });
  const got = await delivered(event, w.id);
  expect(got.url).toBe(`/loans/a%20b%2Fc?client=${encodeURIComponent(hostile)}`);
  expect(JSON.parse(got.body)).toEqual({ client: hostile, amount: 10, raw: { loanId: 'a b/c', client: hostile, amount: 10 } });
});

test('static headers arrive as given; reserved ones are dropped with warnings and never reach the receiver', async () => {
  const res = await h.api('POST', '/v1/webhooks', {
    name: 'headers',
    eventTypes: ['headers.test'],
    url: `${receiver.url}/headers`,
    headers: { 'X-Tenant': 'acme-bank', 'X-Api-Version': '7', 'User-Agent': 'spoof', 'Webhook-Id': 'spoof', 'X-Notifications-Idempotency-Key': 'spoof' },
  });
  expect(res.status).toBe(201);
  expect(res.body.headers).toEqual({ 'X-Tenant': 'acme-bank', 'X-Api-Version': '7' });
  expect(res.body.warnings).toHaveLength(3);
  expect(res.body.warnings.join('\n')).toMatch(/User-Agent.*Webhook-Id.*X-Notifications-Idempotency-Key/s);

  const event = await postEvent({ type: 'headers.test', data: {} });
  const got = await delivered(event, res.body.id);
  expect(got.headers['x-tenant']).toBe('acme-bank');
  expect(got.headers['x-api-version']).toBe('7');
  expect(got.headers.authorization).toBeUndefined();
  expect(got.headers['user-agent']).toMatch(/^Herald\//);
  expect(got.headers['webhook-id']).toBe(event.notifications[0].id);
  expect(got.headers['x-notifications-idempotency-key']).not.toBe('spoof');
});

test('a condition lets only matching events through', async () => {
  const w = await createWebhook('/big-loans', { eventTypes: ['loan.condition'], condition: { 'data.amount': { $gte: 1000 }, entityIds: 'branch-1' } });
  const small = await postEvent({ type: 'loan.condition', data: { amount: 999 }, entityIds: ['branch-1'] });
  const otherBranch = await postEvent({ type: 'loan.condition', data: { amount: 5000 }, entityIds: ['branch-2'] });
  expect(small.notifications).toEqual([]);
  expect(otherBranch.notifications).toEqual([]);
  expect(await notificationCount({ webhookId: w.id })).toBe(0);

  const big = await postEvent({ type: 'loan.condition', data: { amount: 1000 }, entityIds: ['branch-1', 'client-9'] });
  expect(big.notifications).toEqual([{ id: expect.any(String), webhookId: w.id, status: 'pending' }]);
  expect(JSON.parse((await delivered(big, w.id)).body).data).toEqual({ amount: 1000 });
  expect(await notificationCount({ webhookId: w.id })).toBe(1);
});

test('opt-in: nothing until an entity is switched on, then delivered; other entities still get nothing', async () => {
  const w = await createWebhook('/opt-in', { eventTypes: ['optin.test'], targeting: 'opt-in' });
  const before = await postEvent({ type: 'optin.test', data: {}, entityIds: ['client-1'] });
  expect(before.notifications).toEqual([]);

  expect((await h.api('PUT', `/v1/webhooks/${w.id}/subscriptions/client-1`, { enabled: true })).status).toBe(200);
  const after = await postEvent({ type: 'optin.test', data: { n: 2 }, entityIds: ['loan-7', 'client-1'] });
  expect(JSON.parse((await delivered(after, w.id)).body).data).toEqual({ n: 2 });

  const other = await postEvent({ type: 'optin.test', data: {}, entityIds: ['client-2'] });
  expect(other.notifications).toEqual([]);
  expect(await notificationCount({ webhookId: w.id })).toBe(1);
});

test('opt-out: an entity switched off is excluded, every other one still delivered', async () => {
  const w = await createWebhook('/opt-out', { eventTypes: ['optout.test'] });
  expect((await h.api('PUT', `/v1/webhooks/${w.id}/subscriptions/client-off`, { enabled: false })).status).toBe(200);

  const excluded = await postEvent({ type: 'optout.test', data: {}, entityIds: ['loan-1', 'client-off'] });
  expect(excluded.notifications).toEqual([]);
  const included = await postEvent({ type: 'optout.test', data: { ok: true }, entityIds: ['client-on'] });
  expect(JSON.parse((await delivered(included, w.id)).body).data).toEqual({ ok: true });
  expect(await notificationCount({ webhookId: w.id })).toBe(1);
});

test('pinned and latest webhooks each receive their own envelope', async () => {
  const pinnedOld = await createWebhook('/v2025', { eventTypes: ['envelope.test'], payloadVersion: '2025-01-01' });
  const latest = await createWebhook('/latest', { eventTypes: ['envelope.test'], payloadVersion: 'latest' });
  const pinnedNew = await createWebhook('/default', { eventTypes: ['envelope.test'] });
  expect(pinnedNew.payloadVersion).toBe('2026-11-01');

  const occurredAt = '2026-03-01T10:00:00.000Z';
  const event = await postEvent({ type: 'envelope.test', data: { amount: 1 }, entityIds: ['client-1'], occurredAt });
  expect(JSON.parse((await delivered(event, pinnedOld.id)).body)).toEqual({ id: event.id, type: 'envelope.test', occurredAt, entityIds: ['client-1'], data: { amount: 1 } });
  const standard = { type: 'envelope.test', timestamp: occurredAt, eventId: event.id, entityIds: ['client-1'], data: { amount: 1 } };
  expect(JSON.parse((await delivered(event, latest.id)).body)).toEqual(standard);
  expect(JSON.parse((await delivered(event, pinnedNew.id)).body)).toEqual(standard);
});

test('with webhookCommunications "none", the event is stored and no notification is created', async () => {
  const w = await createWebhook('/settings', { eventTypes: ['settings.test'] });
  expect((await h.api('PUT', '/v1/settings', { webhookCommunications: 'none' })).status).toBe(200);
  let event;
  try {
    event = await postEvent({ type: 'settings.test', data: {} });
  } finally {
    expect((await h.api('PUT', '/v1/settings', { webhookCommunications: 'enabled' })).status).toBe(200);
  }
  expect(event.notifications).toEqual([]);
  const stored = await h.api('GET', `/v1/events/${event.id}`);
  expect(stored.status).toBe(200);
  expect(stored.body.notifications).toEqual([]);
  expect(await notificationCount({ eventId: event.id })).toBe(0);

  // Switched back on, the same webhook delivers again.
  const again = await postEvent({ type: 'settings.test', data: {} });
  await delivered(again, w.id);
});

test('a disabled webhook creates no notification; enabled again, it delivers', async () => {
  const w = await createWebhook('/disabled', { eventTypes: ['disabled.test'], enabled: false });
  const off = await postEvent({ type: 'disabled.test', data: {} });
  expect(off.notifications).toEqual([]);
  expect(await notificationCount({ webhookId: w.id })).toBe(0);

  expect((await h.api('PATCH', `/v1/webhooks/${w.id}`, { enabled: true })).status).toBe(200);
  const on = await postEvent({ type: 'disabled.test', data: {} });
  await delivered(on, w.id);
});

test('preview returns the rendered request (credentials redacted, missing paths warned) and sends nothing', async () => {
  const w = await createWebhook('/preview/{{data.loanId}}', {
    eventTypes: ['loan.preview'],
    headers: { 'X-Tenant': 'acme' },
    auth: { type: 'basic', username: 'mambu', password: 'top-secret' },
    bodyTemplate: '{"loan": "{{data.loanId}}", "client": "{{data.client.name}}", "branch": "{{data.branch}}"}',
  });
  const res = await h.api('POST', `/v1/webhooks/${w.id}/preview`, { event: { type: 'loan.preview', data: { loanId: 'L 1', client: { name: 'Ana' } } } });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    method: 'POST',
    url: `${receiver.url}/preview/L%201`,
    headers: { 'X-Tenant': 'acme', 'content-type': 'application/json', 'user-agent': expect.stringMatching(/^Herald\//), authorization: 'Basic [redacted]' },
    body: '{"loan": "L 1", "client": "Ana", "branch": ""}',
    warnings: ['data.branch is missing'],
  });
  expect(JSON.stringify(res.body)).not.toContain('top-secret');
  // Nothing stored, nothing to send.
  expect(await h.models.Event.countDocuments({ type: 'loan.preview' })).toBe(0);
  expect(await notificationCount({ webhookId: w.id })).toBe(0);

  // A real event afterwards is the only request that ever arrives, with the body the preview showed.
  const event = await postEvent({ type: 'loan.preview', data: { loanId: 'L 1', client: { name: 'Ana' } } });
  const got = await delivered(event, w.id);
  expect(got.body).toBe(res.body.body);
  expect(got.headers.authorization).toBe(`Basic ${Buffer.from('mambu:top-secret').toString('base64')}`);
  expect(receiver.requests.filter((r) => r.url.startsWith('/preview/'))).toHaveLength(1);
});

test('preview says why a real event would create nothing', async () => {
  const w = await createWebhook('/preview-why', { eventTypes: ['why.test'], condition: { 'data.amount': { $gt: 10 } }, targeting: 'opt-in', enabled: false });
  const res = await h.api('POST', `/v1/webhooks/${w.id}/preview`, { event: { type: 'other.type', data: { amount: 1 }, entityIds: ['client-1'] } });
  expect(res.status).toBe(200);
  expect(res.body.warnings).toEqual([
    'the webhook is disabled: no notification would be created',
    'event type "other.type" is not in eventTypes: no notification would be created',
    'the condition does not match this event: no notification would be created',
    'targeting is opt-in and none of the event entityIds is switched on: no notification would be created',
  ]);
  const bad = await h.api('POST', `/v1/webhooks/${w.id}/preview`, { event: { data: [] } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['event.data', 'event.type']);
  expect((await h.api('POST', '/v1/webhooks/wh_nope/preview', { event: { type: 'x' } })).status).toBe(404);
});

test('event data with dotted and $-prefixed keys is stored, matched and delivered as given', async () => {
  const w = await createWebhook('/odd-keys', { eventTypes: ['odd.keys'], condition: { 'data.amount': { $gte: 1 } } });
  const data = { amount: 5, 'com.mambu.custom': { $ref: 'x', 'a.b': [1, { $c: null }] } };
  const event = await postEvent({ type: 'odd.keys', data });
  expect(JSON.parse((await delivered(event, w.id)).body).data).toEqual(data);
  expect((await h.api('GET', `/v1/events/${event.id}`)).body.data).toEqual(data);
  expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body.condition).toEqual({ 'data.amount': { $gte: 1 } });
});
