/**
 * No input gives a 500 or stalls the process, on the real API: malformed percent-escapes in paths
 * (with or without a key), JSON nested deeper than the limit on every way in, a catastrophic
 * `$regex` (the API and the worker share one event loop), credentials in a webhook URL, and a
 * render too big to store.
 */
import { MAX_JSON_DEPTH } from '../../src/http/request-limits';
import { MAX_RENDERED_REQUEST_BYTES } from '../../src/render/request-size';
import { roundOver, useHeraldAndReceiver, waitForStatus } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

/** `{"a": {"a": ... {}}}` with `levels` objects, as JSON text (JSON.stringify would overflow on a deep value). */
function nestedJson(levels: number): string {
  return `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
}

async function directUrlPath(eventType: string): Promise<string> {
  const res = await h.api('POST', '/v1/sources', { name: `limits ${eventType}`, eventType });
  expect(res.status).toBe(201);
  return new URL(res.body.directUrl).pathname;
}

describe('malformed percent-escapes in the path', () => {
  const routes: Array<[string, string]> = [
    ['GET', '/v1/webhooks/%'],
    ['PATCH', '/v1/webhooks/%zz'],
    ['DELETE', '/v1/webhooks/%E0%A4%A'],
    ['POST', '/v1/webhooks/%/preview'],
    ['PUT', '/v1/webhooks/%/subscriptions/%'],
    ['GET', '/v1/webhooks/wh_x/secret%'],
    ['GET', '/v1/events/%'],
    ['GET', '/v1/notifications/%'],
    ['POST', '/v1/notifications/%/resend'],
    ['GET', '/v1/sources/%'],
    ['PUT', '/v1/variables/%'],
    ['POST', '/in/%/%'],
    ['GET', '/%'],
  ];

  it.each(routes)('%s %s is a 400 malformed_path, with and without a key', async (method, path) => {
    const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : undefined;
    const keys: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong-key-0123456789' }, { authorization: `Bearer ${h.config.apiKeys[0]}` }];
    for (const headers of keys) {
      const res = await fetch(`${h.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body });
      expect([path, res.status]).toEqual([path, 400]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('malformed_path');
    }
  });

  it('leaves well-formed escapes alone', async () => {
    expect((await h.api('GET', '/v1/webhooks/%25')).status).toBe(404);
    expect((await h.api('GET', '/v1/webhooks/wh%5Fnope')).status).toBe(404);
  });
});

describe('JSON nesting depth', () => {
  const tooDeep = (data: string) => `{"type": "limits.deep", "data": ${data}}`;

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses more on POST /v1/events, storing nothing`, async () => {
    // The body is level 1, so data may nest MAX_JSON_DEPTH - 1 levels.
    const ok = await h.api('POST', '/v1/events', tooDeep(nestedJson(MAX_JSON_DEPTH - 1)));
    expect(ok.status).toBe(202);
    for (const levels of [MAX_JSON_DEPTH, 10_000]) {
      const res = await h.api('POST', '/v1/events', tooDeep(nestedJson(levels)));
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'nesting_too_deep',
        message: `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels, the limit`,
        details: [{ path: 'data', message: `must not nest deeper than ${MAX_JSON_DEPTH} levels (objects and arrays, counting the body itself)` }],
      });
    }
    expect(await h.models.Event.countDocuments({ type: 'limits.deep' })).toBe(1);
  });

  it('refuses the same on an inbound direct URL, which needs no key', async () => {
    const path = await directUrlPath('limits.inbound.deep');
    const deep = await fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: nestedJson(10_000) });
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: { code: string } }).error.code).toBe('nesting_too_deep');
    const fine = await fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: nestedJson(MAX_JSON_DEPTH) });
    expect(fine.status).toBe(202);
    expect(await h.models.Event.countDocuments({ type: 'limits.inbound.deep' })).toBe(1);
  });

  it('refuses it in any other body too, e.g. a deep webhook condition', async () => {
    const condition = `{"$and": [${nestedJson(100).replace('{}', '{"type": "x"}')}]}`;
    const res = await h.api('POST', '/v1/webhooks', `{"name": "deep", "eventTypes": ["x"], "url": "${receiver.url}/x", "condition": ${condition}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('nesting_too_deep');
  });

  it('a body over HERALD_MAX_BODY_BYTES is a 413 on both ways in', async () => {
    const big = JSON.stringify({ type: 'limits.big', data: { blob: 'x'.repeat(h.config.maxBodyBytes) } });
    const viaApi = await h.api('POST', '/v1/events', big);
    expect([viaApi.status, viaApi.body.error.code]).toEqual([413, 'payload_too_large']);
    const viaInbound = await fetch(`${h.url}${await directUrlPath('limits.big')}`, { method: 'POST', body: big });
    expect(viaInbound.status).toBe(413);
    expect(await h.models.Event.countDocuments({ type: 'limits.big' })).toBe(0);
  });
});

describe('regular expressions in conditions', () => {
  it('the backtracking pattern of the issue is matched at once: the event is accepted and /healthz keeps answering', async () => {
    const evil = await h.api('POST', '/v1/webhooks', {
      name: 'evil regex',
      eventTypes: ['limits.regex'],
      url: `${receiver.url}/evil`,
      condition: { 'data.x': { $regex: '(a+)+$' } },
    });
    expect(evil.status).toBe(201);
    const matching = await h.api('POST', '/v1/webhooks', {
      name: 'matching regex',
      eventTypes: ['limits.regex'],
      url: `${receiver.url}/matching`,
      condition: { 'data.x': { $regex: '^a+b$' } },
    });
    expect(matching.status).toBe(201);

    // With a backtracking engine this request never returns and the process stops serving.
    const health = fetch(`${h.url}/healthz`, { signal: AbortSignal.timeout(20_000) });
    const event = await h.api('POST', '/v1/events', { type: 'limits.regex', data: { x: `${'a'.repeat(50)}b` } });
    expect(event.status).toBe(202);
    expect((await health).status).toBe(200);
    // (a+)+$ does not match a string ending in "b"; ^a+b$ does.
    expect(event.body.notifications.map((n: { webhookId: string }) => n.webhookId)).toEqual([matching.body.id]);
    expect((await fetch(`${h.url}/healthz`, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);
  });

  it('a pattern RE2 cannot run is refused when saved, naming condition and the rule', async () => {
    const res = await h.api('POST', '/v1/webhooks', {
      name: 'backreference',
      eventTypes: ['x'],
      url: `${receiver.url}/x`,
      condition: { 'data.x': { $regex: '(a+)\\1' } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path: 'condition', message: expect.stringMatching(/\$regex "\(a\+\)\\\\1" is not supported: .*no backreferences or lookaround/) },
    ]);
  });
});

describe('credentials in a webhook URL', () => {
  it('are refused on create and on PATCH, pointing to auth, and never echoed', async () => {
    const created = await h.api('POST', '/v1/webhooks', { name: 'userinfo', eventTypes: ['x'], url: 'http://user:s3cret-pw@example.com/hook' });
    expect(created.status).toBe(400);
    expect(created.body.error.details).toEqual([{ path: 'url', message: expect.stringContaining('put them in `auth`') }]);
    expect(JSON.stringify(created.body)).not.toContain('s3cret-pw');

    const ok = await h.api('POST', '/v1/webhooks', { name: 'userinfo later', eventTypes: ['x'], url: 'https://example.com/hook' });
    expect(ok.status).toBe(201);
    const patched = await h.api('PATCH', `/v1/webhooks/${ok.body.id}`, { url: 'https://user:s3cret-pw@example.com/hook' });
    expect(patched.status).toBe(400);
    expect(patched.body.error.details).toEqual([{ path: 'url', message: expect.stringContaining('`auth`') }]);
    expect((await h.api('GET', `/v1/webhooks/${ok.body.id}`)).body.url).toBe('https://example.com/hook');
  });
});

describe('a render too big to store', () => {
  it('fails at once: a final `failed` notification with the reason, no attempt, nothing sent', async () => {
    // A template can multiply an event: 8 copies of a 600 kB value (the event is under the 1 MiB
    // body limit) render into 4.8 MB, over the 4 MiB a snapshot may take.
    const hook = await h.api('POST', '/v1/webhooks', {
      name: 'oversize render',
      eventTypes: ['limits.oversize'],
      url: `${receiver.url}/oversize`,
      contentType: 'text/plain',
      bodyTemplate: '{{data.s}}'.repeat(8),
    });
    expect(hook.status).toBe(201);
    const res = await h.api('POST', '/v1/events', { type: 'limits.oversize', data: { s: 'x'.repeat(600_000) } });
    expect(res.status).toBe(202);
    expect(res.body.notifications).toEqual([{ id: expect.any(String), webhookId: hook.body.id, status: 'failed' }]);

    const n = await waitForStatus(h, res.body.notifications[0].id, ['failed']);
    expect(n.failedAt).toEqual(expect.any(String));
    expect(n.request).toBeNull();
    expect(n.attempts).toEqual([]);
    expect(n.warnings).toEqual([
      expect.stringMatching(new RegExp(`^render failed: The rendered request is \\d+ bytes, more than the limit of ${MAX_RENDERED_REQUEST_BYTES} bytes`)),
    ]);
    // Temporal agrees: the workflow's round is over, failed, without an attempt (no retry loop).
    const state = await roundOver(h, n.workflowId);
    expect(state).toMatchObject({ status: 'failed', attempts: 0 });
    expect(receiver.requests.filter((r) => r.url === '/oversize')).toHaveLength(0);
  });
});
