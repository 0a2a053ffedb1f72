/**
 * Inbound sources on the real stack: the signed direct URL needs no API key, a wrong signature is
 * 404, basic auth answers 401 "Access denied", a correct call becomes an event that is delivered,
 * switching auth off erases the stored credentials, credentials may come from variables, and the
 * body is bounded and checked only after the caller is authenticated.
 */
import { createHmac } from 'node:crypto';
import { waitForStatus, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

const ACCESS_DENIED = { error: { code: 'access_denied', message: 'Access denied' } };

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

async function createSource(body: Record<string, unknown>) {
  const res = await h.api('POST', '/v1/sources', body);
  expect(res.status).toBe(201);
  return res.body as { id: string; directUrl: string; basicAuth: { username: string } | null };
}

/** POSTs to a direct URL on the running test server (publicUrl says port 0 in tests), with no API key. */
async function callDirect(directUrl: string, body: string | undefined, headers: Record<string, string> = {}) {
  const { pathname } = new URL(directUrl);
  const res = await fetch(`${h.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

test('a source gets a signed direct URL; a call without an API key becomes an event that is delivered', async () => {
  const webhook = await h.api('POST', '/v1/webhooks', { name: 'inbound target', eventTypes: ['crm.contact.updated'], url: `${receiver.url}/from-inbound` });
  expect(webhook.status).toBe(201);
  const source = await createSource({ name: 'CRM', eventType: 'crm.contact.updated' });
  const signature = createHmac('sha256', h.deps.urlSigningKey).update(source.id).digest('hex');
  expect(source.directUrl).toBe(`${h.config.publicUrl}/in/${source.id}/${signature}`);
  expect(source.basicAuth).toBeNull();

  const res = await callDirect(source.directUrl, JSON.stringify({ contactId: 'c-17', email: 'a@example.com' }));
  expect(res.status).toBe(202);
  expect(res.body).toEqual({ eventId: expect.stringMatching(/^evt_/) });

  const event = await h.api('GET', `/v1/events/${res.body.eventId}`);
  expect(event.body).toMatchObject({ type: 'crm.contact.updated', data: { contactId: 'c-17', email: 'a@example.com' } });
  expect((await h.models.Event.findById(res.body.eventId).lean())!.source).toBe(source.id);
  expect(event.body.notifications).toHaveLength(1);
  await waitForStatus(h, event.body.notifications[0].id, ['sent']);
  const got = receiver.requests.find((r) => r.url === '/from-inbound')!;
  expect(JSON.parse(got.body)).toMatchObject({ type: 'crm.contact.updated', data: { contactId: 'c-17', email: 'a@example.com' } });
});

test('a wrong signature, another source\'s signature, an unknown or deleted source are all the same 404', async () => {
  const a = await createSource({ name: 'A', eventType: 'a.happened' });
  const b = await createSource({ name: 'B', eventType: 'b.happened' });
  const [, , idA, sigA] = new URL(a.directUrl).pathname.split('/');
  const sigB = new URL(b.directUrl).pathname.split('/')[3];
  const flipped = (sigA[0] === '0' ? '1' : '0') + sigA.slice(1);
  const bodies = [];
  for (const path of [`/in/${idA}/${flipped}`, `/in/${idA}/${sigB}`, `/in/${idA}/${sigA.slice(0, 32)}`, `/in/${idA}/${sigA.toUpperCase()}`, `/in/src_nope/${sigA}`]) {
    const res = await callDirect(`http://x${path}`, '{}');
    expect({ path, status: res.status }).toEqual({ path, status: 404 });
    bodies.push(res.body);
  }
  expect((await callDirect(a.directUrl, '{}')).status).toBe(202);
  expect((await h.api('DELETE', `/v1/sources/${a.id}`)).status).toBe(204);
  const gone = await callDirect(a.directUrl, '{}');
  expect(gone.status).toBe(404);
  // Same answer whatever was wrong: a probe learns nothing.
  expect(new Set([...bodies, gone.body].map((b) => JSON.stringify(b))).size).toBe(1);
  expect((await h.api('GET', `/v1/sources/${a.id}`)).status).toBe(404);
});

test('with basic auth: a missing or wrong Authorization is 401 Access denied; the right one is accepted; switching auth off erases the credentials', async () => {
  const source = await createSource({ name: 'Partner', eventType: 'partner.ping', basicAuth: { username: 'partner', password: 'In-pass-8d2f' } });
  expect(source.basicAuth).toEqual({ username: 'partner' });
  expect(JSON.stringify(source)).not.toContain('In-pass-8d2f');
  const raw = await h.models.Source.collection.findOne({ _id: source.id as never });
  expect(raw!.basicAuth.password).toMatch(/^enc:v1:/);

  const attempts: Array<[string, Record<string, string>]> = [
    ['missing', {}],
    ['wrong password', { authorization: basic('partner', 'nope') }],
    ['wrong user', { authorization: basic('other', 'In-pass-8d2f') }],
    ['password prefix', { authorization: basic('partner', 'In-pass') }],
    ['the API key', { authorization: 'Bearer test-key-0123456789abcdef' }],
    ['garbage', { authorization: 'Basic !!!' }],
  ];
  for (const [what, headers] of attempts) {
    const res = await callDirect(source.directUrl, '{"x": 1}', headers);
    expect({ what, status: res.status, body: res.body }).toEqual({ what, status: 401, body: ACCESS_DENIED });
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="Herald inbound", charset="UTF-8"');
  }
  const ok = await callDirect(source.directUrl, '{"x": 1}', { authorization: basic('partner', 'In-pass-8d2f') });
  expect(ok.status).toBe(202);

  const off = await h.api('PATCH', `/v1/sources/${source.id}`, { basicAuth: null });
  expect(off.status).toBe(200);
  expect(off.body.basicAuth).toBeNull();
  const after = await h.models.Source.collection.findOne({ _id: source.id as never });
  expect(after).not.toHaveProperty('basicAuth');
  expect(JSON.stringify(after)).not.toMatch(/username|password|enc:v1:/);
  expect((await callDirect(source.directUrl, '{"x": 2}')).status).toBe(202);
  // The URL did not change: auth is a property of the source, not of its URL.
  expect(off.body.directUrl).toBe(source.directUrl);
});

test('basic auth credentials may be variable references, resolved at check time', async () => {
  await h.api('PUT', '/v1/variables/inbound-partner', { user: 'var-user', pass: 'var-pass-1' });
  const source = await createSource({
    name: 'Var partner',
    eventType: 'var.ping',
    basicAuth: { username: '{{env_var[@inbound-partner].user}}', password: '{{env_var[@inbound-partner].pass}}' },
  });
  expect((await callDirect(source.directUrl, '{}', { authorization: basic('var-user', 'var-pass-1') })).status).toBe(202);
  // The literal reference is not a password.
  expect((await callDirect(source.directUrl, '{}', { authorization: basic('var-user', '{{env_var[@inbound-partner].pass}}') })).status).toBe(401);

  await h.api('PUT', '/v1/variables/inbound-partner', { user: 'var-user', pass: 'var-pass-2' });
  expect((await callDirect(source.directUrl, '{}', { authorization: basic('var-user', 'var-pass-1') })).status).toBe(401);
  expect((await callDirect(source.directUrl, '{}', { authorization: basic('var-user', 'var-pass-2') })).status).toBe(202);

  // A deleted variable denies access (it never falls back to "no auth"), and the operator is told.
  await h.api('DELETE', '/v1/variables/inbound-partner');
  const denied = await callDirect(source.directUrl, '{}', { authorization: basic('var-user', 'var-pass-2') });
  expect(denied.status).toBe(401);
  expect(h.logs.join('')).toContain('inbound source credentials reference an undefined variable');
  expect(h.logs.join('')).not.toContain('var-pass');
});

test('bodies: an object is required, empty means {}, the size is bounded, and nothing is parsed before authentication', async () => {
  const open = await createSource({ name: 'Open', eventType: 'open.body' });
  expect((await callDirect(open.directUrl, '[1, 2]')).body.error.code).toBe('validation_error');
  expect((await callDirect(open.directUrl, '"text"')).status).toBe(400);
  expect((await callDirect(open.directUrl, '{"broken": ')).body.error.code).toBe('malformed_json');
  const empty = await callDirect(open.directUrl, undefined);
  expect(empty.status).toBe(202);
  expect((await h.api('GET', `/v1/events/${empty.body.eventId}`)).body.data).toEqual({});

  const big = JSON.stringify({ blob: 'x'.repeat(h.config.maxBodyBytes) });
  const tooLarge = await callDirect(open.directUrl, big);
  expect(tooLarge.status).toBe(413);
  expect(tooLarge.body.error.code).toBe('payload_too_large');

  const locked = await createSource({ name: 'Locked', eventType: 'locked.body', basicAuth: { username: 'u', password: 'p-123' } });
  expect((await callDirect(locked.directUrl, big)).status).toBe(401);
  expect((await callDirect(locked.directUrl.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')), big)).status).toBe(404);
});

test('Idempotency-Key (or webhook-id) deduplicates per source: the repeat returns the first event with 200', async () => {
  const source = await createSource({ name: 'Dedupe', eventType: 'dedupe.ping' });
  const first = await callDirect(source.directUrl, '{"n": 1}', { 'idempotency-key': 'delivery-1' });
  const again = await callDirect(source.directUrl, '{"n": 1}', { 'idempotency-key': 'delivery-1' });
  expect(first.status).toBe(202);
  expect(again.status).toBe(200);
  expect(again.body.eventId).toBe(first.body.eventId);
  const svix = await callDirect(source.directUrl, '{"n": 2}', { 'webhook-id': 'msg_abc' });
  const svixAgain = await callDirect(source.directUrl, '{"n": 2}', { 'webhook-id': 'msg_abc' });
  expect(svixAgain.body.eventId).toBe(svix.body.eventId);
  expect(svix.body.eventId).not.toBe(first.body.eventId);
  // Another source with the same key is a different delivery.
  const other = await createSource({ name: 'Dedupe 2', eventType: 'dedupe.ping' });
  const otherRes = await callDirect(other.directUrl, '{"n": 1}', { 'idempotency-key': 'delivery-1' });
  expect(otherRes.status).toBe(202);
  expect(otherRes.body.eventId).not.toBe(first.body.eventId);
});

test('the sources API: list, read, rename, set auth; strict validation; API key required', async () => {
  const s = await createSource({ name: 'Managed', eventType: 'managed.event' });
  const renamed = await h.api('PATCH', `/v1/sources/${s.id}`, { name: 'Managed 2', basicAuth: { username: 'm', password: 'm-pass-1' } });
  expect(renamed.status).toBe(200);
  expect(renamed.body).toMatchObject({ id: s.id, name: 'Managed 2', eventType: 'managed.event', basicAuth: { username: 'm' } });
  const one = await h.api('GET', `/v1/sources/${s.id}`);
  expect(one.body).toEqual(renamed.body);
  const list = await h.api('GET', '/v1/sources?limit=2');
  expect(list.body.data).toHaveLength(2);
  expect(list.body.data[0].id).toBe(s.id);
  expect(list.body.nextCursor).toEqual(expect.any(String));
  expect(JSON.stringify([renamed.body, one.body, list.body])).not.toContain('m-pass-1');

  const bad = await h.api('POST', '/v1/sources', { basicAuth: { username: 'a:b', password: '' }, extra: true });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['', 'basicAuth.password', 'basicAuth.username', 'eventType', 'name']);
  expect((await h.api('PATCH', `/v1/sources/${s.id}`, { basicAuth: { username: 'only-user' } })).status).toBe(400);
  expect((await h.api('PATCH', '/v1/sources/src_nope', { name: 'x' })).status).toBe(404);
  expect((await fetch(`${h.url}/v1/sources`)).status).toBe(401);
});
