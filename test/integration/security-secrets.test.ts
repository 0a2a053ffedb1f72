/**
 * Secrets stay secret on the real stack: a notification sent with basic auth and a signing secret
 * leaves neither the password, nor the signing secret, nor the request body in Temporal history
 * or the logs, and no API response shows the password or the secret. Secrets are sealed at rest.
 * Variables: write-only, resolved at send time, and an undefined one is a failed attempt.
 */
import { eventually, FAST_RETRY, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver({ env: { HERALD_LOG_LEVEL: 'trace' } });

/** Temporal history as text, with every payload decoded (payload data is bytes in the proto). */
async function historyText(workflowId: string): Promise<string> {
  const history = await h.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history, (_key, value) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (value && value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data).toString('utf8');
    return value;
  });
}

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

async function sendEvent(type: string, data: Record<string, unknown>): Promise<string> {
  const res = await h.api('POST', '/v1/events', { type, data });
  expect(res.status).toBe(202);
  expect(res.body.notifications).toHaveLength(1);
  return res.body.notifications[0].id;
}

test('neither the password, the signing secret nor the body appears in Temporal history, logs or API responses', async () => {
  const password = 'Pw-zebra-7f3c9a-do-not-leak';
  const bodyMarker = 'BODY-MARKER-quokka-51e2';
  const created = await h.api('POST', '/v1/webhooks', {
    name: 'leak-check',
    eventTypes: ['leak.check'],
    url: `${receiver.url}/leak`,
    auth: { type: 'basic', username: 'herald-user', password },
  });
  expect(created.status).toBe(201);
  const webhookId = created.body.id as string;
  const secret = (await h.api('GET', `/v1/webhooks/${webhookId}/secret`)).body.secret as string;
  expect(secret).toMatch(/^whsec_/);
  const secretKey = secret.slice('whsec_'.length);

  const id = await sendEvent('leak.check', { note: bodyMarker });
  const final = await waitForStatus(h, id, ['sent']);
  const got = receiver.requests.find((r) => r.url === '/leak')!;
  // The receiver did get all three: the credentials, a signature, and the body.
  expect(got.headers.authorization).toBe(basic('herald-user', password));
  expect(got.headers['webhook-signature']).toMatch(/^v1,/);
  expect(got.body).toContain(bodyMarker);

  // Temporal history: IDs and small values only. (The notification id proves the payloads were decoded.)
  const history = await historyText(final.workflowId);
  expect(history).toContain(id);
  for (const s of [password, secret, secretKey, bodyMarker]) expect(history).not.toContain(s);

  // API responses: the password and the secret never; the body only where the contract puts it
  // (the notification's request snapshot), not in the webhook or the list.
  const responses = {
    webhook: (await h.api('GET', `/v1/webhooks/${webhookId}`)).body,
    webhooks: (await h.api('GET', '/v1/webhooks')).body,
    created: created.body,
    notification: (await h.api('GET', `/v1/notifications/${id}`)).body,
    notifications: (await h.api('GET', '/v1/notifications')).body,
  };
  const apiText = JSON.stringify(responses);
  for (const s of [password, secretKey, 'enc:v1:']) expect(apiText).not.toContain(s);
  expect(responses.webhook.auth).toEqual({ type: 'basic', username: 'herald-user' });
  expect(responses.notification.request.headers.authorization).toBe('Basic [redacted]');
  expect(responses.notification.request.body).toBe(got.body);
  expect(JSON.stringify(responses.notifications)).not.toContain(bodyMarker);
  expect(JSON.stringify(responses.webhook)).not.toContain(bodyMarker);

  // Logs (API and worker, at trace level).
  const logs = h.logs.join('');
  for (const s of [password, secretKey, bodyMarker, 'Basic aGVyYWxk']) expect(logs).not.toContain(s);

  // At rest: sealed, so the database holds neither in plain text.
  const raw = await h.models.Webhook.collection.findOne({ _id: webhookId as never });
  const rawText = JSON.stringify(raw);
  expect(rawText).not.toContain(password);
  expect(rawText).not.toContain(secretKey);
  expect(raw!.auth.password).toMatch(/^enc:v1:/);
  expect(raw!.signing.secret).toMatch(/^enc:v1:/);
});

describe('variables', () => {
  test('PUT creates (201) then replaces (200); GET and the list show names and times, never values; stored sealed', async () => {
    const first = await h.api('PUT', '/v1/variables/partner-a', { user: 'alice-var-user', pass: 'alice-var-pass-91x' });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      name: 'partner-a',
      references: { user: '{{env_var[@partner-a].user}}', pass: '{{env_var[@partner-a].pass}}' },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const second = await h.api('PUT', '/v1/variables/partner-a', { user: 'alice-var-user', pass: 'alice-var-pass-92y' });
    expect(second.status).toBe(200);
    expect(new Date(second.body.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(first.body.updatedAt).getTime());
    expect(second.body.createdAt).toBe(first.body.createdAt);

    await h.api('PUT', '/v1/variables/partner-b', { user: 'u', pass: 'p' });
    const one = await h.api('GET', '/v1/variables/partner-a');
    expect(one.status).toBe(200);
    expect(Object.keys(one.body).sort()).toEqual(['createdAt', 'name', 'references', 'updatedAt']);
    const page1 = await h.api('GET', '/v1/variables?limit=1');
    expect(page1.body.data.map((v: { name: string }) => v.name)).toEqual(['partner-a']);
    const page2 = await h.api('GET', `/v1/variables?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.data.map((v: { name: string }) => v.name)).toEqual(['partner-b']);
    const all = JSON.stringify([one.body, page1.body, page2.body]);
    expect(all).not.toContain('alice-var');

    const raw = await h.models.Variable.collection.findOne({ _id: 'partner-a' as never });
    expect(raw!.user).toMatch(/^enc:v1:/);
    expect(raw!.pass).toMatch(/^enc:v1:/);
    expect(JSON.stringify(raw)).not.toContain('alice-var');

    expect((await h.api('DELETE', '/v1/variables/partner-b')).status).toBe(204);
    expect((await h.api('GET', '/v1/variables/partner-b')).status).toBe(404);
    expect((await h.api('DELETE', '/v1/variables/partner-b')).status).toBe(404);
  });

  test('strict validation: bad names, missing or extra fields, and no API key', async () => {
    const bad = await h.api('PUT', '/v1/variables/has%20space', { user: 'u', pass: 'p' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('name');
    const missing = await h.api('PUT', '/v1/variables/ok', { user: '', extra: 1 });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['', 'pass', 'user']);
    expect((await fetch(`${h.url}/v1/variables`)).status).toBe(401);
  });

  test('webhook credentials from a variable are resolved at send time; a change applies to the next send', async () => {
    await h.api('PUT', '/v1/variables/acme', { user: 'acme-user', pass: 'acme-pass-1' });
    const created = await h.api('POST', '/v1/webhooks', {
      name: 'var-auth',
      eventTypes: ['var.auth'],
      url: `${receiver.url}/var-auth`,
      auth: { type: 'basic', username: '{{env_var[@acme].user}}', password: '{{env_var[@acme].pass}}' },
    });
    expect(created.status).toBe(201);
    // The reference is shown as given (it is not a secret); the value never is.
    expect(created.body.auth).toEqual({ type: 'basic', username: '{{env_var[@acme].user}}' });

    const first = await sendEvent('var.auth', {});
    await waitForStatus(h, first, ['sent']);
    await h.api('PUT', '/v1/variables/acme', { user: 'acme-user', pass: 'acme-pass-2' });
    const second = await sendEvent('var.auth', {});
    await waitForStatus(h, second, ['sent']);

    const auths = receiver.requests.filter((r) => r.url === '/var-auth').map((r) => r.headers.authorization);
    expect(auths).toEqual([basic('acme-user', 'acme-pass-1'), basic('acme-user', 'acme-pass-2')]);
    const history = await historyText(`notification-${second}`);
    expect(history).not.toContain('acme-pass');
    expect(JSON.stringify((await h.api('GET', `/v1/notifications/${second}`)).body)).not.toContain('acme-pass');
  });

  test('an undefined variable at send time is a failed attempt (kind configuration, nothing sent), retried; defining it heals the notification', async () => {
    const created = await h.api('POST', '/v1/webhooks', {
      name: 'var-missing',
      eventTypes: ['var.missing'],
      url: `${receiver.url}/var-missing`,
      auth: { type: 'basic', username: 'fixed-user', password: '{{env_var[@later].pass}}' },
      retry: { ...FAST_RETRY, maxAttempts: 5 },
    });
    expect(created.status).toBe(201);
    const id = await sendEvent('var.missing', {});

    const failedOnce = await eventually(async () => {
      const n = (await h.api('GET', `/v1/notifications/${id}`)).body;
      return n.attempts?.length >= 1 ? n : null;
    });
    expect(failedOnce.status).toBe('retrying');
    expect(failedOnce.attempts[0].error).toEqual({
      kind: 'configuration',
      message: 'credential references variable "later", which is not defined (PUT /v1/variables/later)',
    });
    expect(failedOnce.attempts[0].statusCode).toBeUndefined();
    expect(receiver.requests.filter((r) => r.url === '/var-missing')).toHaveLength(0);

    await h.api('PUT', '/v1/variables/later', { user: 'unused', pass: 'later-pass' });
    const final = await waitForStatus(h, id, ['sent', 'failed']);
    expect(final.status).toBe('sent');
    expect(final.attempts[final.attempts.length - 1].statusCode).toBe(200);
    const got = receiver.requests.filter((r) => r.url === '/var-missing');
    expect(got).toHaveLength(1);
    expect(got[0].headers.authorization).toBe(basic('fixed-user', 'later-pass'));
  });
});
