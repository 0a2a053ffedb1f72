/**
 * Token auth on the real stack: a static `Authorization` header (auth none) reaches the receiver,
 * but no view shows it — webhook, list, preview, notification snapshot — nor the logs, Temporal
 * history or the stored document (sealed). With basic auth it is refused, and rotating it applies
 * to the next attempt.
 */
import { eventually, FAST_RETRY, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver({ env: { HERALD_LOG_LEVEL: 'trace' } });

async function historyText(workflowId: string): Promise<string> {
  const history = await h.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history, (_key, value) => (value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value));
}

test('the receiver gets the token; no view, log, history or stored document shows it', async () => {
  const token = 'tok-narwhal-93b1-do-not-leak';
  const created = await h.api('POST', '/v1/webhooks', {
    name: 'token',
    eventTypes: ['token.test'],
    url: `${receiver.url}/token`,
    headers: { Authorization: `Bearer ${token}`, 'X-Tenant': 'acme' },
    retry: FAST_RETRY,
  });
  expect(created.status).toBe(201);
  expect(created.body.headers).toEqual({ 'X-Tenant': 'acme', Authorization: 'Bearer [redacted]' });
  expect(created.body.warnings).toEqual([]);
  const webhookId = created.body.id as string;

  const event = await h.api('POST', '/v1/events', { type: 'token.test', data: { n: 1 } });
  const id = event.body.notifications[0].id as string;
  const final = await waitForStatus(h, id, ['sent']);
  const got = receiver.requests.find((r) => r.url === '/token')!;
  expect(got.headers.authorization).toBe(`Bearer ${token}`);
  expect(got.headers['x-tenant']).toBe('acme');
  expect(final.request.headers.authorization).toBe('Bearer [redacted]');

  const views = [
    created.body,
    (await h.api('GET', `/v1/webhooks/${webhookId}`)).body,
    (await h.api('GET', '/v1/webhooks')).body,
    (await h.api('POST', `/v1/webhooks/${webhookId}/preview`, { event: { type: 'token.test', data: {} } })).body,
    final,
    (await h.api('GET', '/v1/notifications?eventType=token.test')).body,
  ];
  expect(views[3].headers.authorization).toBe('Bearer [redacted]');
  for (const v of views) expect(JSON.stringify(v)).not.toContain(token);
  expect(h.logs.join('')).not.toContain(token);
  expect(await historyText(final.workflowId)).not.toContain(token);
  const stored = await h.models.Webhook.findById(webhookId).lean();
  expect(JSON.stringify(stored)).not.toContain(token);
  expect(stored!.authorizationHeader).toEqual({ display: 'Bearer [redacted]', value: expect.stringMatching(/^enc:v1:/) });
});

test('PATCH: the redacted form keeps the token, a new value rotates it for the next attempt, leaving it out removes it', async () => {
  receiver.respond((req) => (req.url === '/rotate' && req.headers.authorization === 'Bearer old' ? { status: 401 } : { status: 200 }));
  const created = await h.api('POST', '/v1/webhooks', {
    name: 'rotate',
    eventTypes: ['token.rotate'],
    url: `${receiver.url}/rotate`,
    headers: { authorization: 'Bearer old' },
    retry: { ...FAST_RETRY, maxAttempts: 1 },
  });
  const webhookId = created.body.id as string;
  const sealed = (await h.models.Webhook.findById(webhookId).lean())!.authorizationHeader!.value;
  // A GET → PATCH round trip sends "Bearer [redacted]" back: the stored token is kept, not replaced by it.
  const kept = await h.api('PATCH', `/v1/webhooks/${webhookId}`, { headers: { ...created.body.headers, 'X-Extra': '1' } });
  expect(kept.status).toBe(200);
  expect(kept.body.headers).toEqual({ 'X-Extra': '1', Authorization: 'Bearer [redacted]' });
  expect((await h.models.Webhook.findById(webhookId).lean())!.authorizationHeader!.value).toBe(sealed);

  const event = await h.api('POST', '/v1/events', { type: 'token.rotate', data: {} });
  const id = event.body.notifications[0].id as string;
  await waitForStatus(h, id, ['failed']);
  expect(receiver.requests.filter((r) => r.url === '/rotate').map((r) => r.headers.authorization)).toEqual(['Bearer old']);

  // Rotate, then resend the stored snapshot: the new token goes out (like basic auth, filled in at send time).
  expect((await h.api('PATCH', `/v1/webhooks/${webhookId}`, { headers: { Authorization: 'Token new-one' } })).body.headers).toEqual({ Authorization: 'Token [redacted]' });
  expect((await h.api('POST', `/v1/notifications/${id}/resend`, {})).status).toBe(202);
  await waitForStatus(h, id, ['sent']);
  expect(receiver.requests.filter((r) => r.url === '/rotate').map((r) => r.headers.authorization)).toEqual(['Bearer old', 'Token new-one']);

  // Without the header in a headers PATCH the token is gone: a resend sends no Authorization at all.
  const removed = await h.api('PATCH', `/v1/webhooks/${webhookId}`, { headers: { 'X-Extra': '1' } });
  expect(removed.body.headers).toEqual({ 'X-Extra': '1' });
  expect((await h.api('POST', `/v1/notifications/${id}/resend`, {})).status).toBe(202);
  await eventually(async () => receiver.requests.filter((r) => r.url === '/rotate').length === 3, 30_000, 'the second resend');
  expect(receiver.requests.filter((r) => r.url === '/rotate')[2].headers.authorization).toBeUndefined();
  receiver.respond(() => ({ status: 200 }));
});

test('a static Authorization header with basic auth is a 400, on create and on PATCH', async () => {
  const both = await h.api('POST', '/v1/webhooks', {
    name: 'both',
    eventTypes: ['x'],
    url: `${receiver.url}/both`,
    headers: { Authorization: 'Bearer t' },
    auth: { type: 'basic', username: 'u', password: 'p' },
  });
  expect(both.status).toBe(400);
  expect(both.body.error.details).toEqual([{ path: 'headers.Authorization', message: expect.stringMatching(/^cannot be combined with auth type "basic"/) }]);

  const token = await h.api('POST', '/v1/webhooks', { name: 't', eventTypes: ['x'], url: `${receiver.url}/t`, headers: { Authorization: 'Bearer t' } });
  const toBasic = await h.api('PATCH', `/v1/webhooks/${token.body.id}`, { auth: { type: 'basic', username: 'u', password: 'p' } });
  expect(toBasic.status).toBe(400);
  expect(toBasic.body.error.details).toEqual([{ path: 'auth.type', message: expect.stringMatching(/^cannot be "basic" while the webhook has a static Authorization header/) }]);
  // Both in one PATCH: drop the header and switch to basic.
  const switched = await h.api('PATCH', `/v1/webhooks/${token.body.id}`, { headers: {}, auth: { type: 'basic', username: 'u', password: 'p' } });
  expect(switched.status).toBe(200);
  expect(switched.body.headers).toEqual({});
  expect(switched.body.auth).toEqual({ type: 'basic', username: 'u' });
});
