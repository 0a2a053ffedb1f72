/**
 * Isolation between accounts, tried on every route the app registers: account B's key, given
 * account A's ids, gets 404 exactly as for unknown ids; B's lists never show A's data; B's writes
 * never reach A; admin routes answer 403 to account keys. The table must name every route: a new
 * route without a case fails the first test, so nobody adds one without saying how it is scoped.
 */
import { createApp } from '../../src/app';
import { registeredRoutes } from '../helpers/routes';
import { eventually, FAST_RETRY, useHeraldAndReceiver, waitForStatus } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

type Res = Awaited<ReturnType<typeof h.api>>;
interface Tenant {
  id: string;
  key: string;
}
let A: Tenant;
let B: Tenant;
const a = { webhook: '', event: '', notification: '', source: '', directUrl: '', replayJob: '', resendJob: '', secret: '', stream: '' };

const as = (t: Tenant) => (method: string, path: string, body?: unknown) => h.api(method, path, body, { authorization: `Bearer ${t.key}` });
const asA = (m: string, p: string, b?: unknown) => as(A)(m, p, b);
const asB = (m: string, p: string, b?: unknown) => as(B)(m, p, b);

async function newTenant(name: string, fields: Record<string, unknown> = {}): Promise<Tenant> {
  const account = await h.api('POST', '/v1/accounts', { name, ...fields });
  expect(account.status).toBe(201);
  const key = await h.api('POST', `/v1/accounts/${account.body.id}/keys`, { name: 'test' });
  expect(key.status).toBe(201);
  return { id: account.body.id, key: key.body.key };
}

async function jobDone(path: string) {
  return eventually(async () => {
    const r = await asA('GET', path);
    return r.status === 200 && r.body.status !== 'running' ? r.body : null;
  }, 60_000, path);
}

beforeAll(async () => {
  [A, B] = await Promise.all([newTenant('Bank A'), newTenant('Bank B', { retentionSeconds: 7200 })]);
  const webhook = await asA('POST', '/v1/webhooks', { name: 'a-hook', eventTypes: ['iso.shared'], url: `${receiver.url}/a`, retry: FAST_RETRY });
  expect(webhook.status).toBe(201);
  a.webhook = webhook.body.id;
  expect((await asA('PUT', `/v1/webhooks/${a.webhook}/subscriptions/entity-a`, { enabled: true })).status).toBe(200);
  a.secret = (await asA('GET', `/v1/webhooks/${a.webhook}/secret`)).body.secret;
  const event = await asA('POST', '/v1/events', { type: 'iso.shared', data: { owner: 'A' }, entityIds: ['entity-a'] });
  expect(event.status).toBe(202);
  a.event = event.body.id;
  a.notification = event.body.notifications[0].id;
  expect((await asA('POST', '/v1/events', { type: 'iso.only-a', data: {} })).status).toBe(202);
  await waitForStatus({ ...h, api: asA } as typeof h, a.notification, ['sent']);
  const source = await asA('POST', '/v1/sources', { name: 'a-source', eventType: 'iso.inbound' });
  expect(source.status).toBe(201);
  a.source = source.body.id;
  a.directUrl = source.body.directUrl;
  expect((await asA('PUT', '/v1/variables/shared', { user: 'a-user', pass: 'a-pass' })).status).toBe(201);
  const stream = await asA('POST', '/v1/subscriptions', { owningApplication: 'iso-app', eventTypes: ['iso.shared'], readFrom: 'begin' });
  expect(stream.status).toBe(201);
  a.stream = stream.body.id;
  expect((await asA('PUT', '/v1/event-types/iso.versioned-a/versions/1.0.0', { schema: { type: 'object', required: ['owner'] } })).status).toBe(201);
  const replay = await asA('POST', `/v1/events/${a.event}/replay`, {});
  expect(replay.status).toBe(202);
  a.replayJob = replay.body.jobId;
  const resend = await asA('POST', '/v1/notifications/resend', { status: 'sent', webhookId: a.webhook });
  expect(resend.status).toBe(202);
  a.resendJob = resend.body.jobId;
  await Promise.all([jobDone(`/v1/events/replay/${a.replayJob}`), jobDone(`/v1/notifications/resend/${a.resendJob}`)]);
}, 120_000);

const notFound = (call: () => Promise<Res>) => async () => {
  const res = await call();
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 404, code: 'not_found' });
};
const forbidden = (call: () => Promise<Res>) => async () => {
  const res = await call();
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 403, code: 'forbidden' });
};
/** A list or report in B's account: answers, and names none of A's ids. */
const withoutA = (call: () => Promise<Res>) => async () => {
  const res = await call();
  expect(res.status).toBe(200);
  const text = JSON.stringify(res.body);
  for (const id of [A.id, a.webhook, a.event, a.notification, a.source, a.stream, 'iso.only-a', 'entity-a']) expect(text).not.toContain(id);
};
/** Needs no key and holds no tenant data (probes, this document). */
const publicRoute = (path: string) => async () => {
  const res = await fetch(`${h.url}${path}`);
  expect(res.status).toBe(200);
  expect(await res.text()).not.toContain(a.webhook);
};

const cases: Record<string, () => Promise<void>> = {
  'get /healthz': publicRoute('/healthz'),
  'get /readyz': publicRoute('/readyz'),
  'get /openapi.json': publicRoute('/openapi.json'),
  // The operator's scrape: per-account series are labelled with account ids (not secrets), no tenant data.
  'get /metrics': publicRoute('/metrics'),
  'get /v1/info': withoutA(() => asB('GET', '/v1/info')),

  'get /v1/event-types': withoutA(() => asB('GET', '/v1/event-types')),
  'get /v1/event-types/{type}': notFound(() => asB('GET', '/v1/event-types/iso.versioned-a')),
  'put /v1/event-types/{type}/versions/{version}': async () => {
    // B's own version of the same type and number: created (201), A's left as it was.
    expect((await asB('PUT', '/v1/event-types/iso.versioned-a/versions/1.0.0', {})).status).toBe(201);
    const mine = await asA('GET', '/v1/event-types/iso.versioned-a');
    expect(JSON.stringify(mine.body)).toContain('owner');
  },
  'get /v1/webhooks': withoutA(() => asB('GET', '/v1/webhooks')),
  'get /v1/webhooks/{id}': notFound(() => asB('GET', `/v1/webhooks/${a.webhook}`)),
  'patch /v1/webhooks/{id}': notFound(() => asB('PATCH', `/v1/webhooks/${a.webhook}`, { name: 'taken' })),
  'delete /v1/webhooks/{id}': notFound(() => asB('DELETE', `/v1/webhooks/${a.webhook}`)),
  'post /v1/webhooks/{id}/preview': notFound(() => asB('POST', `/v1/webhooks/${a.webhook}/preview`, { event: { type: 'iso.shared', data: {} } })),
  'get /v1/webhooks/{id}/secret': notFound(() => asB('GET', `/v1/webhooks/${a.webhook}/secret`)),
  'post /v1/webhooks/{id}/secret/rotate': notFound(() => asB('POST', `/v1/webhooks/${a.webhook}/secret/rotate`, {})),
  'get /v1/webhooks/{id}/subscriptions': notFound(() => asB('GET', `/v1/webhooks/${a.webhook}/subscriptions`)),
  'put /v1/webhooks/{id}/subscriptions/{entityId}': notFound(() => asB('PUT', `/v1/webhooks/${a.webhook}/subscriptions/entity-a`, { enabled: false })),
  'get /v1/webhooks/{id}/subscriptions/{entityId}': notFound(() => asB('GET', `/v1/webhooks/${a.webhook}/subscriptions/entity-a`)),
  'delete /v1/webhooks/{id}/subscriptions/{entityId}': notFound(() => asB('DELETE', `/v1/webhooks/${a.webhook}/subscriptions/entity-a`)),
  'post /v1/webhooks': async () => {
    const res = await asB('POST', '/v1/webhooks', { name: 'b-hook', eventTypes: ['iso.b'], url: `${receiver.url}/b` });
    expect(res.status).toBe(201);
    expect((await asA('GET', `/v1/webhooks/${res.body.id}`)).status).toBe(404);
  },
  'get /v1/stats/webhooks': withoutA(() => asB('GET', '/v1/stats/webhooks')),
  'get /v1/stats/deliveries': async () => {
    // A's deliveries are in A's series only; A's webhook is unknown to B.
    expect((await asA('GET', '/v1/stats/deliveries')).body.total.attempts).toBeGreaterThan(0);
    await withoutA(() => asB('GET', '/v1/stats/deliveries'))();
    expect((await asB('GET', '/v1/stats/deliveries')).body.total.attempts).toBe(0);
    await notFound(() => asB('GET', `/v1/stats/deliveries?webhookId=${a.webhook}`))();
  },

  'get /v1/settings': async () => {
    expect((await asB('GET', '/v1/settings')).body.webhookCommunications).toBe('enabled');
  },
  'put /v1/settings': async () => {
    // B switches itself off: A keeps delivering (checked at the end, with A's event after this).
    expect((await asB('PUT', '/v1/settings', { webhookCommunications: 'none' })).status).toBe(200);
    expect((await asA('GET', '/v1/settings')).body.webhookCommunications).toBe('enabled');
    expect((await asB('PUT', '/v1/settings', { webhookCommunications: 'enabled' })).status).toBe(200);
  },

  'post /v1/events': async () => {
    // The type A's webhook listens to: B's event is B's, and matches none of A's webhooks.
    const res = await asB('POST', '/v1/events', { type: 'iso.shared', data: { owner: 'B' }, entityIds: ['entity-b'] });
    expect(res.status).toBe(202);
    expect(res.body.notifications).toEqual([]);
  },
  'get /v1/events': withoutA(() => asB('GET', '/v1/events')),
  'get /v1/events/{id}': notFound(() => asB('GET', `/v1/events/${a.event}`)),
  'post /v1/events/{id}/replay': notFound(() => asB('POST', `/v1/events/${a.event}/replay`, {})),
  'post /v1/events/replay': async () => {
    const res = await asB('POST', '/v1/events/replay', { type: 'iso.shared' });
    expect(res.status).toBe(202);
    // B's replay re-runs B's events' fan-out only: in B, nothing listens to iso.shared.
    const job = await eventually(async () => {
      const r = await asB('GET', `/v1/events/replay/${res.body.jobId}`);
      return r.status === 200 && r.body.status !== 'running' ? r.body : null;
    }, 60_000, 'B replay');
    expect(job.result).toMatchObject({ created: 0 });
  },
  'get /v1/events/replay/{jobId}': notFound(() => asB('GET', `/v1/events/replay/${a.replayJob}`)),

  'get /v1/retention': async () => {
    const res = await asB('GET', '/v1/retention');
    expect(res.status).toBe(200);
    // B's own rule (its override), not the platform's.
    expect(res.body.retentionSeconds).toBe(7200);
  },
  'post /v1/retention/purge': forbidden(() => asB('POST', '/v1/retention/purge', {})),
  'get /v1/retention/purge/{jobId}': forbidden(() => asB('GET', '/v1/retention/purge/job_0000000001')),

  'get /v1/notifications': withoutA(() => asB('GET', '/v1/notifications')),
  'get /v1/notifications/{id}': notFound(() => asB('GET', `/v1/notifications/${a.notification}`)),
  'post /v1/notifications/{id}/resend': notFound(() => asB('POST', `/v1/notifications/${a.notification}/resend`, {})),
  'post /v1/notifications/resend': async () => {
    const res = await asB('POST', '/v1/notifications/resend', { status: 'sent', webhookId: a.webhook });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ matched: 0, resent: 0 });
  },
  'get /v1/notifications/resend/{jobId}': notFound(() => asB('GET', `/v1/notifications/resend/${a.resendJob}`)),

  'post /v1/sources': async () => {
    const res = await asB('POST', '/v1/sources', { name: 'b-source', eventType: 'iso.inbound' });
    expect(res.status).toBe(201);
    expect((await asA('GET', `/v1/sources/${res.body.id}`)).status).toBe(404);
  },
  'get /v1/sources': withoutA(() => asB('GET', '/v1/sources')),
  'get /v1/sources/{id}': notFound(() => asB('GET', `/v1/sources/${a.source}`)),
  'patch /v1/sources/{id}': notFound(() => asB('PATCH', `/v1/sources/${a.source}`, { name: 'taken' })),
  'delete /v1/sources/{id}': notFound(() => asB('DELETE', `/v1/sources/${a.source}`)),
  'post /in/{sourceId}/{signature}': async () => {
    // A's direct URL (no key) creates the event in A: A sees it, B does not.
    const res = await fetch(`${h.url}${new URL(a.directUrl).pathname}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"via": "inbound"}' });
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    expect((await asA('GET', `/v1/events/${eventId}`)).status).toBe(200);
    expect((await asB('GET', `/v1/events/${eventId}`)).status).toBe(404);
  },

  'get /v1/variables': async () => {
    const res = await asB('GET', '/v1/variables');
    expect(res.status).toBe(200);
    expect(res.body.data.map((v: { name: string }) => v.name)).not.toContain('shared');
  },
  'put /v1/variables/{name}': async () => {
    // The same name in B is B's own variable: created (201), not A's replaced (200).
    expect((await asB('PUT', '/v1/variables/shared', { user: 'b-user', pass: 'b-pass' })).status).toBe(201);
    expect((await asB('DELETE', '/v1/variables/shared')).status).toBe(204);
  },
  'get /v1/variables/{name}': notFound(() => asB('GET', '/v1/variables/shared')),
  'delete /v1/variables/{name}': notFound(() => asB('DELETE', '/v1/variables/shared')),

  'post /v1/subscriptions': async () => {
    // The same application, types and group in B: B's own subscription (201), not A's (200).
    const res = await asB('POST', '/v1/subscriptions', { owningApplication: 'iso-app', eventTypes: ['iso.shared'], readFrom: 'begin' });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe(a.stream);
  },
  'get /v1/subscriptions': withoutA(() => asB('GET', '/v1/subscriptions')),
  'get /v1/subscriptions/{id}': notFound(() => asB('GET', `/v1/subscriptions/${a.stream}`)),
  'delete /v1/subscriptions/{id}': notFound(() => asB('DELETE', `/v1/subscriptions/${a.stream}`)),
  'get /v1/subscriptions/{id}/events': notFound(() => asB('GET', `/v1/subscriptions/${a.stream}/events?stream_timeout=1`)),
  'post /v1/subscriptions/{id}/cursors': notFound(() => asB('POST', `/v1/subscriptions/${a.stream}/cursors`, { items: [{ partition: 0, offset: 0, cursorToken: 'x' }] })),

  'post /v1/accounts': forbidden(() => asB('POST', '/v1/accounts', { name: 'mine' })),
  'get /v1/accounts': forbidden(() => asB('GET', '/v1/accounts')),
  'get /v1/accounts/{id}': forbidden(() => asB('GET', `/v1/accounts/${B.id}`)),
  'patch /v1/accounts/{id}': forbidden(() => asB('PATCH', `/v1/accounts/${B.id}`, { eventsPerSecond: 100000 })),
  'delete /v1/accounts/{id}': forbidden(() => asB('DELETE', `/v1/accounts/${A.id}`)),
  'post /v1/accounts/{id}/keys': forbidden(() => asB('POST', `/v1/accounts/${A.id}/keys`, {})),
  'get /v1/accounts/{id}/keys': forbidden(() => asB('GET', `/v1/accounts/${A.id}/keys`)),
  'get /v1/accounts/{id}/upgrade-preview': forbidden(() => asB('GET', `/v1/accounts/${B.id}/upgrade-preview?to=2.0.0`)),
  'delete /v1/accounts/{id}/keys/{keyId}': forbidden(() => asB('DELETE', `/v1/accounts/${A.id}/keys/key_0000000001`)),
};

test('every route the app registers has a cross-account case', () => {
  const routes = registeredRoutes(createApp(h.deps));
  expect(routes.length).toBeGreaterThan(50);
  expect(routes.filter((r) => !(r in cases))).toEqual([]);
  expect(Object.keys(cases).filter((r) => !routes.includes(r))).toEqual([]);
});

test.each(Object.keys(cases))('account B on %s', async (route) => {
  await cases[route]();
});

test("after all of B's tries, A's data is as it was, and A still delivers", async () => {
  expect((await asA('GET', `/v1/webhooks/${a.webhook}`)).body).toMatchObject({ name: 'a-hook', enabled: true });
  expect((await asA('GET', `/v1/webhooks/${a.webhook}/secret`)).body.secret).toBe(a.secret);
  expect((await asA('GET', `/v1/webhooks/${a.webhook}/subscriptions/entity-a`)).body).toMatchObject({ enabled: true });
  expect((await asA('GET', `/v1/sources/${a.source}`)).body).toMatchObject({ name: 'a-source' });
  expect((await asA('GET', '/v1/variables/shared')).status).toBe(200);
  expect((await asA('GET', `/v1/subscriptions/${a.stream}`)).status).toBe(200);
  const n = await asA('GET', `/v1/notifications/${a.notification}`);
  // One automatic attempt and one from A's own bulk resend; none of B's tries sent anything.
  expect(n.body.attempts.map((x: { trigger: string }) => x.trigger)).toEqual(['automatic', 'manual']);
  expect(receiver.requests.filter((r) => r.url === '/a')).toHaveLength(2);
  const next = await asA('POST', '/v1/events', { type: 'iso.shared', data: { owner: 'A' }, entityIds: ['entity-a'] });
  expect(next.body.notifications).toHaveLength(1);
  await waitForStatus({ ...h, api: asA } as typeof h, next.body.notifications[0].id, ['sent']);
});
