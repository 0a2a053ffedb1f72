/**
 * The webhook resource through the real API and database: create, read, list with cursors,
 * PATCH (partial, re-validated whole), DELETE, subscriptions and settings; every bad field in
 * `details`. Deliveries are covered by webhooks-delivery.test.ts.
 */
import { startTestHerald, type TestHerald } from '../helpers/herald';

let h: TestHerald;
// Nothing listens here: these tests never deliver (no worker), they only need a valid URL.
const URL_BASE = 'http://127.0.0.1:9/hook';

beforeAll(async () => {
  h = await startTestHerald({ worker: false });
});
afterAll(async () => {
  await h?.stop();
});

async function create(body: Record<string, unknown> = {}) {
  const res = await h.api('POST', '/v1/webhooks', { name: 'api test', eventTypes: ['loan.disbursed'], url: URL_BASE, ...body });
  expect(res.status).toBe(201);
  return res.body;
}

const detailsOf = (res: { body: any }) => res.body.error.details as Array<{ path: string; message: string }>;

describe('create and read', () => {
  test('fills the defaults, pins the newest payload version, and never returns secrets', async () => {
    const w = await create({ auth: { type: 'basic', username: 'mambu', password: 's3cret-pass' } });
    expect(w).toMatchObject({
      id: expect.stringMatching(/^wh_/),
      enabled: true,
      condition: null,
      targeting: 'opt-out',
      method: 'POST',
      contentType: 'application/json',
      bodyTemplate: null,
      payloadVersion: '2026-11-01',
      headers: {},
      auth: { type: 'basic', username: 'mambu' },
      idempotencyKey: true,
      signing: { enabled: true },
      retry: { maxAttempts: 12, initialIntervalSeconds: 10, backoffCoefficient: 2, maxIntervalSeconds: 7200 },
      timeoutSeconds: 15,
      rateLimit: null,
      maxConcurrency: null,
      circuitBreaker: null,
      autoDisableAfterSeconds: null,
      disabledReason: null,
      disabledAt: null,
      warnings: [],
    });
    expect(JSON.stringify(w)).not.toContain('s3cret-pass');
    const read = await h.api('GET', `/v1/webhooks/${w.id}`);
    expect(read.status).toBe(200);
    // A read adds the endpoint's health: a new webhook's circuit is closed, under the defaults.
    expect(read.body).toEqual({
      ...w,
      warnings: undefined,
      createdAt: w.createdAt,
      updatedAt: w.updatedAt,
      health: {
        state: 'closed',
        since: null,
        consecutiveFailures: 0,
        failingSince: null,
        nextProbeAt: null,
        thresholds: { failureThreshold: 10, cooldownSeconds: 30, maxCooldownSeconds: 900, autoDisableAfterSeconds: 432000 },
        recent: { windowSeconds: 900, attempts: 0, failures: 0, failureRate: null },
      },
    });
    expect(JSON.stringify(read.body)).not.toMatch(/s3cret-pass|whsec_/);
    // Stored sealed, not as given.
    const stored = await h.models.Webhook.findById(w.id).lean();
    expect(stored!.auth!.password).not.toContain('s3cret-pass');
  });

  test('"latest" is kept as is, an explicit version is pinned', async () => {
    expect((await create({ payloadVersion: 'latest' })).payloadVersion).toBe('latest');
    expect((await create({ payloadVersion: '2025-01-01' })).payloadVersion).toBe('2025-01-01');
  });

  test('404 for an unknown webhook', async () => {
    const res = await h.api('GET', '/v1/webhooks/wh_doesnotexist');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('validation: every bad field in details, with the rule', () => {
  test('shape, URL, template and condition problems are reported together', async () => {
    const res = await h.api('POST', '/v1/webhooks', {
      name: 'bad',
      eventTypes: ['x'],
      url: 'https://{{data.host}}/hook',
      bodyTemplate: '{"a": "{{secret.value}}"}',
      condition: { 'data.amount': { $foo: 1 } },
      timeoutSeconds: 0,
      headers: { 'X-Ok': 'a\nb' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    const details = detailsOf(res);
    expect(details).toEqual(
      expect.arrayContaining([
        { path: 'timeoutSeconds', message: 'must be at least 1' },
        { path: 'headers.X-Ok', message: 'must not contain line breaks or control characters' },
      ]),
    );
    // zod shape errors come first and stop the rule checks: fix them, then the rest is reported.
    const fixed = await h.api('POST', '/v1/webhooks', {
      name: 'bad',
      eventTypes: ['x'],
      url: 'https://{{data.host}}/hook',
      bodyTemplate: '{"a": "{{secret.value}}"}',
      condition: { 'data.amount': { $foo: 1 } },
    });
    expect(fixed.status).toBe(400);
    const paths = detailsOf(fixed).map((d) => d.path);
    expect(paths).toEqual(['url', 'bodyTemplate', 'condition']);
    expect(detailsOf(fixed)[0].message).toBe('placeholders are not allowed in the host: only in the path and query');
    expect(detailsOf(fixed)[1].message).toMatch(/secret/);
    expect(detailsOf(fixed)[2].message).toMatch(/\$foo/);
  });

  test('XML and text webhooks need a bodyTemplate (the default envelopes are JSON)', async () => {
    for (const contentType of ['application/xml', 'text/plain']) {
      const res = await h.api('POST', '/v1/webhooks', { name: 'x', eventTypes: ['x'], url: URL_BASE, contentType });
      expect(res.status).toBe(400);
      expect(detailsOf(res)).toEqual([{ path: 'bodyTemplate', message: `is required for ${contentType}: the default envelopes are JSON` }]);
    }
  });

  test('a JSON template that does not render to well-formed JSON is rejected', async () => {
    const res = await h.api('POST', '/v1/webhooks', { name: 'x', eventTypes: ['x'], url: URL_BASE, bodyTemplate: '{"client": {{data.client}}' });
    expect(res.status).toBe(400);
    expect(detailsOf(res)[0]).toEqual({ path: 'bodyTemplate', message: expect.stringMatching(/^does not render to valid JSON/) });
  });

  test('unknown fields are rejected, not ignored', async () => {
    const res = await h.api('POST', '/v1/webhooks', { name: 'x', eventTypes: ['x'], url: URL_BASE, colour: 'red' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(detailsOf(res))).toContain('colour');
  });
});

describe('list', () => {
  test('pages newest first with limit and cursor, and visits every webhook once', async () => {
    const created = [await create({ name: 'page-1' }), await create({ name: 'page-2' }), await create({ name: 'page-3' })];
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: any } = await h.api('GET', `/v1/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((w: { id: string }) => w.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort().reverse());
    const ids = created.map((w) => w.id).reverse();
    expect(seen.slice(0, 3)).toEqual(ids);
  });

  test('a bad limit or cursor is a 400 naming the parameter', async () => {
    const res = await h.api('GET', '/v1/webhooks?limit=0&cursor=..');
    expect(res.status).toBe(400);
    expect(detailsOf(res).map((d) => d.path).sort()).toEqual(['cursor', 'limit']);
  });
});

describe('PATCH', () => {
  test('changes only what it names', async () => {
    const w = await create({ name: 'before', headers: { 'X-Tenant': 'acme' }, retry: { maxAttempts: 3 } });
    const res = await h.api('PATCH', `/v1/webhooks/${w.id}`, { name: 'after', retry: { initialIntervalSeconds: 2 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'after', headers: { 'X-Tenant': 'acme' }, url: URL_BASE, eventTypes: ['loan.disbursed'] });
    expect(res.body.retry).toEqual({ maxAttempts: 3, initialIntervalSeconds: 2, backoffCoefficient: 2, maxIntervalSeconds: 7200 });
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body.name).toBe('after');
  });

  test('re-validates the whole result: XML on a JSON template, or dropping the template of an XML webhook, is a 400', async () => {
    const w = await create({ bodyTemplate: '{"amount": {{json data.amount}}}' });
    const toXml = await h.api('PATCH', `/v1/webhooks/${w.id}`, { contentType: 'application/xml' });
    expect(toXml.status).toBe(400);
    expect(detailsOf(toXml)).toEqual([{ path: 'bodyTemplate', message: expect.stringMatching(/^does not render to well-formed XML/) }]);
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body.contentType).toBe('application/json');

    const both = await h.api('PATCH', `/v1/webhooks/${w.id}`, { contentType: 'application/xml', bodyTemplate: '<amount>{{data.amount}}</amount>' });
    expect(both.status).toBe(200);
    const drop = await h.api('PATCH', `/v1/webhooks/${w.id}`, { bodyTemplate: null });
    expect(drop.status).toBe(400);
    expect(detailsOf(drop)).toEqual([{ path: 'bodyTemplate', message: 'is required for application/xml: the default envelopes are JSON' }]);
  });

  test('retry coherence is checked against the stored values', async () => {
    const w = await create({ retry: { maxIntervalSeconds: 60 } });
    const res = await h.api('PATCH', `/v1/webhooks/${w.id}`, { retry: { initialIntervalSeconds: 120 } });
    expect(res.status).toBe(400);
    expect(detailsOf(res)).toEqual([{ path: 'retry.maxIntervalSeconds', message: 'must not be less than retry.initialIntervalSeconds' }]);
  });

  test('reserved headers are dropped with warnings; the signing secret survives a signing switch', async () => {
    const w = await create();
    const before = await h.models.Webhook.findById(w.id).lean();
    const res = await h.api('PATCH', `/v1/webhooks/${w.id}`, { headers: { 'X-Tenant': 'acme', 'Content-Type': 'text/html' }, signing: { enabled: false } });
    expect(res.status).toBe(200);
    expect(res.body.headers).toEqual({ 'X-Tenant': 'acme' });
    expect(res.body.warnings).toEqual(['headers.Content-Type: "Content-Type" is a reserved header set by Herald; it was ignored']);
    expect(res.body.signing).toEqual({ enabled: false });
    const after = await h.models.Webhook.findById(w.id).lean();
    expect(after!.signing!.secret).toBe(before!.signing!.secret);
  });

  test('an unknown field or a bad value is a 400 and changes nothing', async () => {
    const w = await create({ name: 'stays' });
    const res = await h.api('PATCH', `/v1/webhooks/${w.id}`, { name: 'new', method: 'DELETE', owner: 'me' });
    expect(res.status).toBe(400);
    expect(detailsOf(res).map((d) => d.path)).toContain('method');
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body.name).toBe('stays');
  });
});

describe('DELETE', () => {
  test('removes the webhook from reads, lists and fan-out; a second delete is a 404', async () => {
    const w = await create({ eventTypes: ['deleted.webhook'] });
    expect((await h.api('DELETE', `/v1/webhooks/${w.id}`)).status).toBe(204);
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).status).toBe(404);
    expect((await h.api('PATCH', `/v1/webhooks/${w.id}`, { name: 'x' })).status).toBe(404);
    expect((await h.api('DELETE', `/v1/webhooks/${w.id}`)).status).toBe(404);
    const list = await h.api('GET', '/v1/webhooks?limit=200');
    expect(list.body.data.map((x: { id: string }) => x.id)).not.toContain(w.id);
    const event = await h.api('POST', '/v1/events', { type: 'deleted.webhook', data: {} });
    expect(event.status).toBe(202);
    expect(event.body.notifications).toEqual([]);
  });
});

describe('subscriptions', () => {
  test('PUT switches an entity, a second PUT updates the same switch, GET pages by entity', async () => {
    const w = await create({ targeting: 'opt-in' });
    const on = await h.api('PUT', `/v1/webhooks/${w.id}/subscriptions/client-1`, { enabled: true });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ webhookId: w.id, entityId: 'client-1', enabled: true });
    expect((await h.api('PUT', `/v1/webhooks/${w.id}/subscriptions/client-1`, { enabled: false })).body.enabled).toBe(false);
    for (const e of ['client-2', 'client 3/ä', 'client-4']) {
      expect((await h.api('PUT', `/v1/webhooks/${w.id}/subscriptions/${encodeURIComponent(e)}`, { enabled: true })).status).toBe(200);
    }
    expect(await h.models.Subscription.countDocuments({ webhookId: w.id })).toBe(4);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: any } = await h.api('GET', `/v1/webhooks/${w.id}/subscriptions?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((s: { entityId: string }) => s.entityId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['client 3/ä', 'client-1', 'client-2', 'client-4']);

    const onlyOff = await h.api('GET', `/v1/webhooks/${w.id}/subscriptions?enabled=false`);
    expect(onlyOff.body).toEqual({ data: [expect.objectContaining({ entityId: 'client-1', enabled: false })], nextCursor: null });

    expect((await h.api('DELETE', `/v1/webhooks/${w.id}/subscriptions/client-1`)).status).toBe(204);
    expect((await h.api('GET', `/v1/webhooks/${w.id}/subscriptions/client-1`)).status).toBe(404);
  });

  test('concurrent PUTs of one switch leave one document', async () => {
    const w = await create();
    const results = await Promise.all([true, false, true].map((enabled) => h.api('PUT', `/v1/webhooks/${w.id}/subscriptions/race`, { enabled })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await h.models.Subscription.countDocuments({ webhookId: w.id, entityId: 'race' })).toBe(1);
  });

  test('a bad body is a 400 naming the field; an unknown webhook is a 404', async () => {
    const w = await create();
    const bad = await h.api('PUT', `/v1/webhooks/${w.id}/subscriptions/client-1`, { enabled: 'yes', extra: 1 });
    expect(bad.status).toBe(400);
    expect(detailsOf(bad)).toEqual(expect.arrayContaining([{ path: 'enabled', message: 'must be true or false' }]));
    expect((await h.api('PUT', '/v1/webhooks/wh_nope/subscriptions/client-1', { enabled: true })).status).toBe(404);
    expect((await h.api('GET', '/v1/webhooks/wh_nope/subscriptions')).status).toBe(404);
  });
});

describe('settings', () => {
  test('defaults to enabled, PUT changes it, a bad value is a 400', async () => {
    expect((await h.api('GET', '/v1/settings')).body).toEqual({ webhookCommunications: 'enabled', updatedAt: null });
    const bad = await h.api('PUT', '/v1/settings', { webhookCommunications: 'off' });
    expect(bad.status).toBe(400);
    expect(detailsOf(bad)).toEqual([{ path: 'webhookCommunications', message: 'must be "enabled" or "none"' }]);
    try {
      const none = await h.api('PUT', '/v1/settings', { webhookCommunications: 'none' });
      expect(none.status).toBe(200);
      expect(none.body.webhookCommunications).toBe('none');
      expect((await h.api('GET', '/v1/settings')).body.webhookCommunications).toBe('none');
    } finally {
      expect((await h.api('PUT', '/v1/settings', { webhookCommunications: 'enabled' })).body.webhookCommunications).toBe('enabled');
    }
  });
});
