/**
 * The OpenAPI 3.1 document, generated from OPERATIONS: request bodies and query strings from the
 * zod schemas the routes validate with, answers from responses.ts, each converted by zod's own
 * `z.toJSONSchema` (JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Built once, on first use.
 */
import { z } from 'zod';
import { HERALD_VERSION } from '../paths';
import { OPERATIONS, type Body, type Operation } from './operations';

/** Every tenant route: an admin key names the account it acts on (default: `default`). */
const HERALD_ACCOUNT_HEADER = {
  name: 'Herald-Account',
  in: 'header',
  required: false,
  description: 'Admin keys only: the account (acc_...) to act on; unknown: 404. With an account key: only its own account, anything else 400.',
  schema: { type: 'string' },
};

type JsonObject = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Every named schema once; the same name for two different schemas is a bug in OPERATIONS. */
function collectSchemas(ops: Operation[]): Map<string, z.ZodType> {
  const named = new Map<string, z.ZodType>();
  const add = (b: Body | undefined) => {
    if (!b) return;
    const seen = named.get(b.name);
    if (seen && seen !== b.schema) throw new Error(`OpenAPI: two different schemas named ${b.name}`);
    named.set(b.name, b.schema);
  };
  for (const op of ops) {
    add(op.body);
    for (const res of Object.values(op.responses)) add(res.body);
  }
  return named;
}

function componentSchemas(named: Map<string, z.ZodType>): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of named) registry.add(schema, { id });
  // "input": what a client sends (defaults optional, transforms' input side). Refinements that
  // JSON Schema cannot express (template checks, header-name rules) stay server-side only.
  const out = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  const schemas: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(out.schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema as JsonObject;
    schemas[id] = rest;
  }
  return schemas;
}

function queryParameters(query: z.ZodObject | undefined): JsonObject[] {
  if (!query) return [];
  const json = z.toJSONSchema(query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonObject>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return { name, in: 'query', required: json.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest };
  });
}

function pathParameters(path: string): JsonObject[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
}

function operationObject(op: Operation): JsonObject {
  const content = (b: Body, contentType = 'application/json') => ({ [contentType]: { schema: ref(b.name), ...(b.example !== undefined ? { example: b.example } : {}) } });
  const responses: JsonObject = {};
  for (const [status, res] of Object.entries(op.responses)) {
    responses[status] = {
      description: res.description,
      ...(res.body ? { content: content(res.body, res.contentType) } : res.contentType ? { content: { [res.contentType]: { schema: { type: 'string' } } } } : {}),
    };
  }
  if (op.auth !== false && !responses[401]) responses[401] = { description: 'missing or invalid API key', content: { 'application/json': { schema: ref('Error') } } };
  return {
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    operationId: operationId(op),
    ...(op.auth === false ? { security: [] } : {}),
    parameters: [
      ...pathParameters(op.path),
      ...queryParameters(op.query),
      ...(op.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: false, description: h.description, schema: { type: 'string' } })),
      ...(op.auth !== false && op.path.startsWith('/v1/') && !op.path.startsWith('/v1/accounts') ? [HERALD_ACCOUNT_HEADER] : []),
    ],
    ...(op.body ? { requestBody: { required: true, content: content(op.body) } } : {}),
    responses,
  };
}

/** `get /v1/webhooks/{id}/subscriptions` → `getWebhooksIdSubscriptions`: stable names for generated clients. */
export function operationId(op: Pick<Operation, 'method' | 'path'>): string {
  const words = op.path
    .replace(/^\/v1\//, '/')
    .split(/[/.{}-]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1));
  return op.method + words.join('');
}

export function buildOpenApiDocument(ops: Operation[] = OPERATIONS): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const op of ops) (paths[op.path] ??= {})[op.method] = operationObject(op);
  const schemas = componentSchemas(collectSchemas(ops));
  if (!schemas.Error) throw new Error('OpenAPI: the Error schema must be used by at least one operation');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Herald',
      version: HERALD_VERSION,
      description: 'Webhook notifications on Temporal: webhooks, events, the communication history with resends, inbound sources, variables and settings. Every /v1 route needs `Authorization: Bearer <key>`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'this Herald' }],
    security: [{ apiKey: [] }],
    tags: [...new Set(ops.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'an admin key from HERALD_API_KEYS (or printed by npm start), or an account key (hk_..., POST /v1/accounts/{id}/keys) that acts on its own account only' } }, schemas },
  };
}

let cached: JsonObject | undefined;

export function openApiDocument(): JsonObject {
  return (cached ??= buildOpenApiDocument());
}
