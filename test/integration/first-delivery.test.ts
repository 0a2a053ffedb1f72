/**
 * The first vertical slice, end to end on the real stack: API → MongoDB → Temporal workflow →
 * prepare + deliver activities → a real receiver, and the history the API shows afterwards.
 */
import { roundOver, FAST_RETRY, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

async function createWebhook(body: Record<string, unknown>) {
  const res = await h.api('POST', '/v1/webhooks', { name: 'test', eventTypes: ['loan.disbursed'], url: `${receiver.url}/hook`, ...body });
  expect(res.status).toBe(201);
  return res.body;
}

test('an event is delivered as the default envelope and the history shows the snapshot and one 200 attempt', async () => {
  const webhook = await createWebhook({ name: 'envelope', url: `${receiver.url}/envelope` });
  expect(webhook.payloadVersion).toBe('2026-11-01');
  receiver.respond(() => ({ status: 200, body: 'thanks' }));
  const before = receiver.requests.length;

  const res = await h.api('POST', '/v1/events', { type: 'loan.disbursed', data: { amount: 1500, client: 'ACME' }, entityIds: ['client-1'] });
  expect(res.status).toBe(202);
  const notification = res.body.notifications.find((n: { webhookId: string }) => n.webhookId === webhook.id);
  expect(notification.status).toBe('pending');

  const final = await waitForStatus(h, notification.id, ['sent']);
  const received = receiver.requests.slice(before).find((r) => r.url === '/envelope')!;
  expect(received.method).toBe('POST');
  expect(received.headers['content-type']).toBe('application/json');
  expect(received.headers['user-agent']).toMatch(/^Herald\//);
  const body = JSON.parse(received.body);
  expect(body).toEqual({ type: 'loan.disbursed', timestamp: expect.any(String), eventId: res.body.id, entityIds: ['client-1'], data: { amount: 1500, client: 'ACME' } });

  expect(final.request).toMatchObject({ method: 'POST', url: `${receiver.url}/envelope`, body: received.body });
  expect(final.attempts).toHaveLength(1);
  expect(final.attempts[0]).toMatchObject({ number: 1, trigger: 'automatic', statusCode: 200, responseBody: 'thanks' });
  expect(final.attemptCount).toBe(1);
  expect(final.sentAt).toEqual(expect.any(String));
  expect(final.workflowId).toBe(`notification-${notification.id}`);
});

test('a receiver failing twice then succeeding yields three recorded attempts and sent', async () => {
  const webhook = await createWebhook({ eventTypes: ['flaky.test'], url: `${receiver.url}/flaky`, retry: FAST_RETRY });
  let calls = 0;
  receiver.respond((req) => (req.url === '/flaky' && ++calls <= 2 ? { status: 500, body: 'boom' } : { status: 200 }));

  const res = await h.api('POST', '/v1/events', { type: 'flaky.test', data: {} });
  const id = res.body.notifications.find((n: { webhookId: string }) => n.webhookId === webhook.id).id;
  const final = await waitForStatus(h, id, ['sent', 'failed']);
  expect(final.status).toBe('sent');
  expect(final.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 200]);
  expect(final.attempts[0].error).toEqual({ kind: 'http_status', message: 'HTTP 500' });
  expect(final.attempts[0].responseBody).toBe('boom');
  // One delivery round: the same idempotency key on every automatic retry.
  expect(new Set(final.attempts.map((a: { idempotencyKey: string }) => a.idempotencyKey)).size).toBe(1);
});

test('a receiver that always fails ends failed after maxAttempts, with no further attempts', async () => {
  const webhook = await createWebhook({ eventTypes: ['always.fails'], url: `${receiver.url}/down`, retry: FAST_RETRY });
  receiver.respond((req) => (req.url === '/down' ? { status: 503 } : { status: 200 }));

  const res = await h.api('POST', '/v1/events', { type: 'always.fails', data: {} });
  const id = res.body.notifications.find((n: { webhookId: string }) => n.webhookId === webhook.id).id;
  const final = await waitForStatus(h, id, ['failed']);
  expect(final.attempts).toHaveLength(3);
  expect(final.failedAt).toEqual(expect.any(String));
  expect(final.nextAttemptAt).toBeNull();

  // The round is over: no activity pending, Temporal will not try again (the execution stays open
  // only to serve resends).
  expect(await roundOver(h, final.workflowId)).toMatchObject({ status: 'failed', attempts: 3 });
  const hits = receiver.requests.filter((r) => r.url === '/down').length;
  expect(hits).toBe(3);
});

describe('API basics', () => {
  test('401 without a key, and the same 401 for a wrong key', async () => {
    const none = await fetch(`${h.url}/v1/webhooks`);
    const wrong = await fetch(`${h.url}/v1/webhooks`, { headers: { authorization: 'Bearer not-the-key-at-all' } });
    expect(none.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await none.json()).toEqual(await wrong.json());
  });

  test('400 malformed_json on a broken body', async () => {
    const res = await h.api('POST', '/v1/events', '{"type": "x",');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('malformed_json');
  });

  test('413 on a body over HERALD_MAX_BODY_BYTES', async () => {
    const res = await h.api('POST', '/v1/events', { type: 'big', data: { blob: 'x'.repeat(h.config.maxBodyBytes + 10) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  test('400 lists every bad field', async () => {
    const res = await h.api('POST', '/v1/webhooks', { eventTypes: [], url: 'ftp://x', method: 'GET' });
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'eventTypes', 'method']));
  });

  test('healthz and readyz need no key; readyz checks MongoDB and Temporal', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { mongodb: true, temporal: true } });
  });
});
