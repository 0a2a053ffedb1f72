/**
 * Destination checks on the real delivery path (worker → guarded undici Agent), with private
 * destinations disallowed as in production. Saving stays lenient (only HTTPS-only is checked at
 * save): the authoritative check is at connect time, on the address actually dialed. Each blocked
 * notification ends `failed` after one attempt of kind `blocked`, and the receiver gets nothing.
 */
import { roundOver, startTestHerald, waitForStatus, type TestHerald, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver({ env: { HERALD_ALLOW_PRIVATE_DESTINATIONS: 'false' } });

const targets = (port: number): Array<[string, string]> => [
  ['127.0.0.1', `http://127.0.0.1:${port}/hit`],
  ['localhost', `http://localhost:${port}/hit`],
  ['[::1]', `http://[::1]:${port}/hit`],
  ['0.0.0.0', `http://0.0.0.0:${port}/hit`],
  ['2130706433', `http://2130706433:${port}/hit`],
  ['169.254.169.254', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/'],
  ['10.0.0.1', `http://10.0.0.1:${port}/hit`],
];

test('loopback, unspecified, decimal-encoded, metadata and private destinations are all blocked, and nothing reaches the receiver', async () => {
  const cases = targets(receiver.port);
  const webhooks: Record<string, string> = {};
  for (const [label, url] of cases) {
    const res = await h.api('POST', '/v1/webhooks', { name: `blocked ${label}`, eventTypes: ['ssrf.probe'], url });
    expect({ label, status: res.status }).toEqual({ label, status: 201 });
    webhooks[res.body.id] = label;
  }

  const event = await h.api('POST', '/v1/events', { type: 'ssrf.probe', data: { probe: true } });
  expect(event.status).toBe(202);
  expect(event.body.notifications).toHaveLength(cases.length);

  const results = await Promise.all(
    event.body.notifications.map(async (n: { id: string; webhookId: string }) => {
      const final = await waitForStatus(h, n.id, ['sent', 'failed']);
      return {
        target: webhooks[n.webhookId],
        status: final.status,
        attempts: final.attempts.length,
        kind: final.attempts[0]?.error?.kind,
        statusCode: final.attempts[0]?.statusCode,
      };
    }),
  );
  expect(results.sort((a, b) => a.target.localeCompare(b.target))).toEqual(
    cases
      .map(([label]) => ({ target: label, status: 'failed', attempts: 1, kind: 'blocked', statusCode: undefined }))
      .sort((a, b) => a.target.localeCompare(b.target)),
  );
  expect(receiver.requests).toHaveLength(0);

  // The recorded reason names the rule, so an operator knows why.
  const one = event.body.notifications.find((n: { webhookId: string }) => webhooks[n.webhookId] === '169.254.169.254');
  const detail = await h.api('GET', `/v1/notifications/${one.id}`);
  expect(detail.body.attempts[0].error.message).toMatch(/cloud metadata endpoint/);
  // Blocked is final: the round is over, no retry is scheduled.
  expect(detail.body.nextAttemptAt).toBeNull();
  expect(await roundOver(h, detail.body.workflowId)).toMatchObject({ status: 'failed', attempts: 1 });

  // The preview warns before anything is sent, with the same rule.
  const metadataWebhook = Object.keys(webhooks).find((id) => webhooks[id] === '169.254.169.254')!;
  const preview = await h.api('POST', `/v1/webhooks/${metadataWebhook}/preview`, { event: { type: 'ssrf.probe', data: {} } });
  expect(preview.status).toBe(200);
  expect(preview.body.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/refused at send time: .*cloud metadata/)]));
});

describe('HTTPS-only', () => {
  let strict: TestHerald;
  beforeAll(async () => {
    // Private destinations allowed here, so the only rule in play is HTTPS-only.
    strict = await startTestHerald({ env: { HERALD_HTTPS_ONLY: 'true', HERALD_ALLOW_PRIVATE_DESTINATIONS: 'true' } });
  });
  afterAll(async () => {
    await strict?.stop();
  });

  test('an http URL is rejected at save (create and PATCH); https is accepted', async () => {
    const plain = await strict.api('POST', '/v1/webhooks', { name: 'plain', eventTypes: ['x'], url: `${receiver.url}/plain` });
    expect(plain.status).toBe(400);
    expect(plain.body.error.details).toEqual([{ path: 'url', message: 'must be an https URL (HERALD_HTTPS_ONLY is on)' }]);

    const secure = await strict.api('POST', '/v1/webhooks', { name: 'secure', eventTypes: ['x'], url: 'https://hooks.example.com/in' });
    expect(secure.status).toBe(201);
    const patched = await strict.api('PATCH', `/v1/webhooks/${secure.body.id}`, { url: `${receiver.url}/plain` });
    expect(patched.status).toBe(400);
    expect(patched.body.error.details).toEqual([{ path: 'url', message: 'must be an https URL (HERALD_HTTPS_ONLY is on)' }]);
  });

  test('a webhook saved with an http URL before HTTPS-only was switched on is blocked at send time', async () => {
    // Saved through the first Herald (HTTPS-only off), then copied into this one's database, as if
    // the setting had been switched on after the webhook was created.
    const created = await h.api('POST', '/v1/webhooks', { name: 'legacy', eventTypes: ['legacy.http'], url: `${receiver.url}/legacy` });
    expect(created.status).toBe(201);
    const legacy = (await h.models.Webhook.findById(created.body.id).lean())!;
    // Each test Herald has its own encryption key: re-seal the signing secret for the second one.
    legacy.signing!.secret = strict.deps.secretBox.encrypt(h.deps.secretBox.decrypt(legacy.signing!.secret!));
    await strict.models.Webhook.create(legacy);
    await h.api('DELETE', `/v1/webhooks/${created.body.id}`);

    const event = await strict.api('POST', '/v1/events', { type: 'legacy.http', data: {} });
    expect(event.body.notifications).toHaveLength(1);
    const final = await waitForStatus(strict, event.body.notifications[0].id, ['sent', 'failed']);
    expect(final.status).toBe('failed');
    expect(final.attempts).toHaveLength(1);
    expect(final.attempts[0].error).toEqual({ kind: 'blocked', message: expect.stringContaining('HERALD_HTTPS_ONLY') });
    expect(receiver.requests.filter((r) => r.url === '/legacy')).toHaveLength(0);
  });
});
