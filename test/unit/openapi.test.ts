/**
 * The OpenAPI document: every example validates against the zod schema it documents (the same
 * schema the route validates with, for requests), every $ref resolves, operation ids are unique.
 * That every registered route is documented is checked on the real app (test/integration/openapi.test.ts).
 */
import { buildOpenApiDocument, operationId } from '../../src/openapi/document';
import { OPERATIONS } from '../../src/openapi/operations';
import { validateWebhookRules } from '../../src/routes/webhook-schema';
import { dataPaths } from '../../src/routes/event-types';

const doc = buildOpenApiDocument() as any;

const examples = OPERATIONS.flatMap((op) => [
  ...(op.body?.example !== undefined ? [{ where: `${op.method} ${op.path} request`, body: op.body }] : []),
  ...Object.entries(op.responses)
    .filter(([, r]) => r.body?.example !== undefined)
    .map(([status, r]) => ({ where: `${op.method} ${op.path} ${status}`, body: r.body! })),
]);

test('there are examples for most operations (at least one per resource)', () => {
  expect(examples.length).toBeGreaterThanOrEqual(30);
  const tags = new Set(OPERATIONS.filter((op) => op.body?.example !== undefined || Object.values(op.responses).some((r) => r.body?.example !== undefined)).map((op) => op.tag));
  expect([...tags].sort()).toEqual(['Accounts', 'Events', 'Notifications', 'Operations', 'Settings', 'Sources', 'Streaming', 'Variables', 'Webhooks']);
});

test.each(examples.map((e) => [e.where, e.body] as const))('the example of %s validates against its schema', (_where, body) => {
  const result = body.schema.safeParse(body.example);
  if (!result.success) throw new Error(JSON.stringify(result.error.issues));
  expect(result.success).toBe(true);
});

test('the webhook examples also pass the rules beyond shape (templates, URL, condition)', () => {
  const create = OPERATIONS.find((op) => op.method === 'post' && op.path === '/v1/webhooks')!;
  const parsed = create.body!.schema.parse(create.body!.example) as any;
  expect(validateWebhookRules(parsed)).toEqual([]);
});

test('a wrong example is caught: the check is not vacuous', () => {
  const create = OPERATIONS.find((op) => op.method === 'post' && op.path === '/v1/webhooks')!;
  expect(create.body!.schema.safeParse({ ...(create.body!.example as object), method: 'GET' }).success).toBe(false);
});

test('the document is OpenAPI 3.1, with every $ref resolving to a component schema', () => {
  expect(doc.openapi).toBe('3.1.0');
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
  expect(refs.length).toBeGreaterThan(50);
  for (const r of refs) {
    const name = r.match(/#\/components\/schemas\/([^"]+)"/)?.[1];
    expect(name && doc.components.schemas[name]).toBeTruthy();
  }
});

test('request bodies document the validation rules of the route schemas', () => {
  const create = doc.components.schemas.WebhookCreate;
  expect(create.required.sort()).toEqual(['eventTypes', 'name', 'url']);
  expect(create.properties.method).toMatchObject({ enum: ['POST', 'PUT', 'PATCH'], default: 'POST' });
  expect(create.properties.timeoutSeconds).toMatchObject({ minimum: 1, maximum: 60, default: 15 });
  expect(create.additionalProperties).toBe(false);
  const list = doc.paths['/v1/notifications'].get.parameters.map((p: any) => p.name);
  expect(list).toEqual(expect.arrayContaining(['status', 'webhookId', 'eventType', 'since', 'until', 'limit', 'cursor']));
});

test('the API key is required except on probes, inbound URLs and this document', () => {
  expect(doc.security).toEqual([{ apiKey: [] }]);
  const open = Object.entries(doc.paths).flatMap(([p, ops]: [string, any]) => Object.entries(ops).filter(([, o]: [string, any]) => o.security?.length === 0).map(([m]) => `${m} ${p}`));
  expect(open.sort()).toEqual(['get /healthz', 'get /metrics', 'get /openapi.json', 'get /readyz', 'post /in/{sourceId}/{signature}']);
});

test('operation ids are unique and stable', () => {
  const ids = OPERATIONS.map(operationId);
  expect(new Set(ids).size).toBe(ids.length);
  expect(operationId({ method: 'get', path: '/v1/webhooks/{id}/subscriptions' })).toBe('getWebhooksIdSubscriptions');
});

test('dataPaths lists nested objects and the first array element as Handlebars paths', () => {
  const paths = [...dataPaths({ amount: 1, client: { id: 'c', 'odd key': 2 }, items: [{ sku: 'a' }], tags: ['x'] })];
  expect(paths.sort()).toEqual(['amount', 'client', 'client.[odd key]', 'client.id', 'items', 'items.[0].sku', 'tags']);
});
