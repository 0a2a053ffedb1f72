/**
 * The OpenAPI document against the real app: served without a key, lists every route the Express
 * app registers (walking its router stack) and nothing it does not, and the documented answers
 * match what the real API answers (so the hand-written response schemas cannot drift).
 */
import { createApp } from '../../src/app';
import { buildOpenApiDocument } from '../../src/openapi/document';
import * as r from '../../src/openapi/responses';
import { registeredRoutes } from '../helpers/routes';
import { eventually, FAST_RETRY, useHeraldAndReceiver, waitForStatus } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

function documentedRoutes(): string[] {
  const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)).sort();
}

test('GET /openapi.json needs no API key and serves the generated OpenAPI 3.1 document', async () => {
  const res = await fetch(`${h.url}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await res.json()) as { openapi: string };
  expect(body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
  expect(body.openapi).toBe('3.1.0');
});

test('every route the app registers is documented, and every documented route is registered', () => {
  const registered = registeredRoutes(createApp(h.deps));
  // The walk must see the app's real shape, or the comparison below proves nothing.
  expect(registered).toEqual(expect.arrayContaining(['get /healthz', 'post /in/{sourceId}/{signature}', 'patch /v1/webhooks/{id}', 'get /v1/notifications/resend/{jobId}']));
  expect(registered.length).toBeGreaterThan(35);
  expect(documentedRoutes()).toEqual(registered);
});

test('the real answers match the documented response schemas', async () => {
  const check = (schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, body: unknown, what: string) => {
    const result = schema.safeParse(body);
    if (!result.success) throw new Error(`${what}: ${JSON.stringify(result.error)}\n${JSON.stringify(body)}`);
  };
  const wh = await h.api('POST', '/v1/webhooks', {
    name: 'openapi', eventTypes: ['openapi.test'], url: `${receiver.url}/openapi/{{data.id}}`, headers: { 'User-Agent': 'x' },
    auth: { type: 'basic', username: 'u', password: 'p' }, retry: FAST_RETRY,
  });
  expect(wh.status).toBe(201);
  check(r.webhookWithWarnings, wh.body, 'POST /v1/webhooks');
  check(r.webhookResponse, (await h.api('GET', `/v1/webhooks/${wh.body.id}`)).body, 'GET /v1/webhooks/{id}');
  check(r.listOf(r.webhookResponse), (await h.api('GET', '/v1/webhooks')).body, 'GET /v1/webhooks');
  check(r.previewResponse, (await h.api('POST', `/v1/webhooks/${wh.body.id}/preview`, { event: { type: 'openapi.test', data: { id: 7 } } })).body, 'preview');
  check(r.secretResponse, (await h.api('GET', `/v1/webhooks/${wh.body.id}/secret`)).body, 'secret');
  check(r.subscriptionResponse, (await h.api('PUT', `/v1/webhooks/${wh.body.id}/subscriptions/client-9`, { enabled: true })).body, 'subscription');
  check(r.listOf(r.subscriptionResponse), (await h.api('GET', `/v1/webhooks/${wh.body.id}/subscriptions`)).body, 'subscriptions');
  check(r.settingsResponse, (await h.api('GET', '/v1/settings')).body, 'settings');
  check(r.infoResponse, (await h.api('GET', '/v1/info')).body, 'info');

  const ev = await h.api('POST', '/v1/events', { type: 'openapi.test', data: { id: 7, nested: { a: [1] } }, entityIds: ['client-1'] });
  expect(ev.status).toBe(202);
  check(r.eventAccepted, ev.body, 'POST /v1/events');
  const id = ev.body.notifications[0].id;
  await waitForStatus(h, id, ['sent']);
  check(r.eventResponse, (await h.api('GET', `/v1/events/${ev.body.id}`)).body, 'GET /v1/events/{id}');
  check(r.notificationResponse, (await h.api('GET', `/v1/notifications/${id}`)).body, 'GET /v1/notifications/{id}');
  check(r.listOf(r.notificationSummary), (await h.api('GET', '/v1/notifications')).body, 'GET /v1/notifications');
  check(r.resendAccepted, (await h.api('POST', `/v1/notifications/${id}/resend`, {})).body, 'resend');
  const bulk = await h.api('POST', '/v1/notifications/resend', { webhookId: wh.body.id });
  check(r.bulkResendAccepted, bulk.body, 'bulk resend');
  const job = await eventually(async () => {
    const j = await h.api('GET', `/v1/notifications/resend/${bulk.body.jobId}`);
    return j.body.status === 'completed' ? j.body : null;
  });
  check(r.bulkResendJob, job, 'bulk resend job');

  const types = (await h.api('GET', '/v1/event-types')).body;
  check(r.eventTypesResponse, types, 'event types');
  expect(types.data.find((t: { type: string }) => t.type === 'openapi.test')).toMatchObject({ latestEventId: ev.body.id, dataPaths: ['id', 'nested', 'nested.a'] });
  const stats = (await h.api('GET', '/v1/stats/webhooks')).body;
  check(r.webhookStatsResponse, stats, 'stats');

  const src = await h.api('POST', '/v1/sources', { name: 's', eventType: 'openapi.inbound', basicAuth: { username: 'a', password: 'b' } });
  check(r.sourceResponse, src.body, 'source');
  check(r.listOf(r.sourceResponse), (await h.api('GET', '/v1/sources')).body, 'sources');
  const inbound = await fetch(src.body.directUrl.replace(h.config.publicUrl, h.url), { method: 'POST', headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, body: '{}' });
  check(r.inboundAccepted, await inbound.json(), 'inbound');
  check(r.variableResponse, (await h.api('PUT', '/v1/variables/openapi', { user: 'u', pass: 'p' })).body, 'variable');
  check(r.listOf(r.variableResponse), (await h.api('GET', '/v1/variables')).body, 'variables');
  check(r.errorResponse, (await h.api('POST', '/v1/webhooks', { name: '' })).body, 'a 400');
});

test('GET /v1/stats/webhooks counts by status with the success rate and attempt latency', async () => {
  receiver.respond((req) => (req.url.startsWith('/stats-fail') ? { status: 500 } : { status: 200 }));
  const ok = await h.api('POST', '/v1/webhooks', { name: 'stats-ok', eventTypes: ['stats.test'], url: `${receiver.url}/stats-ok`, retry: FAST_RETRY });
  const ko = await h.api('POST', '/v1/webhooks', { name: 'stats-fail', eventTypes: ['stats.test'], url: `${receiver.url}/stats-fail`, retry: { ...FAST_RETRY, maxAttempts: 1 } });
  const ev = await h.api('POST', '/v1/events', { type: 'stats.test', data: {} });
  const ev2 = await h.api('POST', '/v1/events', { type: 'stats.test', data: {} });
  for (const n of [...ev.body.notifications, ...ev2.body.notifications]) await waitForStatus(h, n.id, ['sent', 'failed']);
  const stats = (await h.api('GET', '/v1/stats/webhooks')).body.data;
  const okRow = stats.find((s: { webhookId: string }) => s.webhookId === ok.body.id);
  const koRow = stats.find((s: { webhookId: string }) => s.webhookId === ko.body.id);
  expect(okRow).toMatchObject({ webhookName: 'stats-ok', notifications: { total: 2, sent: 2, failed: 0 }, successRate: 1, attempts: 2 });
  expect(koRow).toMatchObject({ webhookName: 'stats-fail', notifications: { total: 2, sent: 0, failed: 2 }, successRate: 0, attempts: 2 });
  expect(okRow.avgLatencyMs).toEqual(expect.any(Number));
  expect(okRow.maxLatencyMs).toBeGreaterThanOrEqual(okRow.avgLatencyMs);
  // A window after everything: nothing counted.
  const later = (await h.api('GET', `/v1/stats/webhooks?since=${new Date(Date.now() + 60_000).toISOString()}`)).body.data;
  expect(later).toEqual([]);
  expect((await h.api('GET', '/v1/stats/webhooks?since=yesterday')).body.error.details[0]).toMatchObject({ path: 'since' });
});
