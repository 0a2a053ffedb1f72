import { authorizationIssues, createWebhookSchema, mergeRuleFields, patchWebhookSchema, splitHeaders, validateWebhookRules } from '../../src/routes/webhook-schema';
import { RETRY_DEFAULTS } from '../../src/models/webhook';
import { eventSchema } from '../../src/routes/events';

const base = { name: 'w', eventTypes: ['loan.disbursed'], url: 'https://example.com/hook' };
const paths = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
  (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('create schema', () => {
  it('fills the defaults of API.md', () => {
    const w = createWebhookSchema.parse(base);
    expect(w).toMatchObject({
      enabled: true,
      condition: null,
      targeting: 'opt-out',
      method: 'POST',
      contentType: 'application/json',
      bodyTemplate: null,
      headers: {},
      auth: { type: 'none' },
      idempotencyKey: true,
      signing: { enabled: true },
      retry: RETRY_DEFAULTS,
      timeoutSeconds: 15,
    });
    expect(w.payloadVersion).toBeUndefined(); // the route pins the newest
  });

  it('reports every bad field with its path, and unknown fields', () => {
    const r = createWebhookSchema.safeParse({ ...base, name: '', method: 'GET', targeting: 'all', retry: { maxAttempts: 0 }, timeoutSeconds: 61, payloadVersion: '1999-01-01', colour: 'red' });
    expect(paths(r)).toEqual(
      expect.arrayContaining([
        'name: must not be empty',
        'method: must be POST, PUT or PATCH',
        'targeting: must be "opt-out" or "opt-in"',
        'retry.maxAttempts: must be at least 1',
        'timeoutSeconds: must be at most 60',
        'payloadVersion: must be "latest" or a known payload version',
      ]),
    );
    expect(r.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });

  it('rejects header values with line breaks (header injection) and names given twice in another case', () => {
    expect(paths(createWebhookSchema.safeParse({ ...base, headers: { 'X-A': 'a\r\nX-Evil: 1' } }))).toEqual(['headers.X-A: must not contain line breaks or control characters']);
    expect(paths(createWebhookSchema.safeParse({ ...base, headers: { 'X-Tenant': 'a', 'x-tenant': 'b' } }))).toEqual(['headers.x-tenant: is given twice (header names are case-insensitive)']);
    expect(paths(createWebhookSchema.safeParse({ ...base, headers: { 'bad name': 'a' } }))[0]).toMatch(/^headers\.bad name: must be a valid header name/);
    expect(createWebhookSchema.safeParse({ ...base, headers: { 'X-Tenant': 'acme\tbank é' } }).success).toBe(true);
    expect(paths(createWebhookSchema.safeParse({ ...base, headers: { 'X.Dotted': 'a' } }))).toEqual(['headers.X.Dotted: must not contain "." or start with "$"']);
  });

  it('basic auth needs a username and a password', () => {
    expect(paths(createWebhookSchema.safeParse({ ...base, auth: { type: 'basic', username: 'u' } }))).toEqual(['auth.password: Invalid input: expected string, received undefined']);
  });
});

describe('reserved headers', () => {
  it('are dropped with one warning each, whatever their case; the rest are kept as given', () => {
    const { headers, warnings } = splitHeaders({ 'X-Tenant': 'acme', 'Webhook-Signature': 'v1,x', 'content-type': 'a/b', Host: 'evil' });
    expect(headers).toEqual({ 'X-Tenant': 'acme' });
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toBe('headers.Webhook-Signature: "Webhook-Signature" is a reserved header set by Herald; it was ignored');
  });

  it('a static Authorization header is taken out of the headers (to be sealed), not dropped', () => {
    expect(splitHeaders({ 'X-Tenant': 'acme', authorization: 'Bearer t0k' })).toEqual({
      headers: { 'X-Tenant': 'acme' },
      warnings: [],
      authorization: { name: 'authorization', value: 'Bearer t0k' },
    });
  });

  it('a static Authorization header is refused with basic auth, and when empty', () => {
    expect(authorizationIssues({ Authorization: 'Bearer x' }, 'none')).toEqual([]);
    expect(authorizationIssues({ 'X-Other': 'x' }, 'basic')).toEqual([]);
    expect(authorizationIssues({ Authorization: 'Bearer x' }, 'basic')).toEqual([
      { path: 'headers.Authorization', message: expect.stringMatching(/^cannot be combined with auth type "basic"/) },
    ]);
    expect(authorizationIssues({ authorization: ' ' }, 'none')).toEqual([{ path: 'headers.authorization', message: 'must not be empty' }]);
  });
});

describe('rules', () => {
  const rules = { url: base.url, bodyTemplate: null, contentType: 'application/json', condition: null, retry: RETRY_DEFAULTS };

  it('a webhook without a template must be JSON: XML and text need their own template', () => {
    expect(validateWebhookRules(rules)).toEqual([]);
    expect(validateWebhookRules({ ...rules, contentType: 'application/xml' })).toEqual([
      { path: 'bodyTemplate', message: 'is required for application/xml: the default envelopes are JSON' },
    ]);
    expect(validateWebhookRules({ ...rules, contentType: 'text/plain' })).toEqual([{ path: 'bodyTemplate', message: 'is required for text/plain: the default envelopes are JSON' }]);
  });

  it('lists URL, template, condition and retry problems together', () => {
    const issues = validateWebhookRules({
      url: 'ftp://x/{{data.id}}',
      bodyTemplate: '{"a": {{nope.x}}}',
      contentType: 'application/json',
      condition: { 'data.amount': { $where: 'true' } },
      retry: { ...RETRY_DEFAULTS, initialIntervalSeconds: 100, maxIntervalSeconds: 10 },
    });
    expect(issues.map((i) => i.path)).toEqual(['url', 'bodyTemplate', 'condition', 'retry.maxIntervalSeconds']);
  });
});

describe('PATCH merge', () => {
  const stored = { url: 'https://example.com/a', bodyTemplate: '{"amount": {{json data.amount}}}', contentType: 'application/json', condition: { type: 'x' }, retry: { maxAttempts: 3, initialIntervalSeconds: 5, backoffCoefficient: null, maxIntervalSeconds: 60 } };

  it('keeps what the patch omits, takes what it sets (null included), and merges retry field by field', () => {
    const m = mergeRuleFields(stored, patchWebhookSchema.parse({ condition: null, retry: { maxAttempts: 5 } }));
    expect(m).toEqual({
      url: stored.url,
      bodyTemplate: stored.bodyTemplate,
      contentType: 'application/json',
      condition: null,
      retry: { maxAttempts: 5, initialIntervalSeconds: 5, backoffCoefficient: RETRY_DEFAULTS.backoffCoefficient, maxIntervalSeconds: 60 },
    });
  });

  it('re-validates the whole result: a valid patch can make the webhook invalid', () => {
    const toXml = mergeRuleFields(stored, patchWebhookSchema.parse({ contentType: 'application/xml' }));
    expect(validateWebhookRules(toXml)).toEqual([{ path: 'bodyTemplate', message: expect.stringMatching(/^does not render to well-formed XML/) }]);
    const dropTemplate = mergeRuleFields({ ...stored, contentType: 'text/plain', bodyTemplate: 'amount {{data.amount}}' }, patchWebhookSchema.parse({ bodyTemplate: null }));
    expect(validateWebhookRules(dropTemplate)).toEqual([{ path: 'bodyTemplate', message: 'is required for text/plain: the default envelopes are JSON' }]);
    const retry = mergeRuleFields(stored, patchWebhookSchema.parse({ retry: { initialIntervalSeconds: 120 } }));
    expect(validateWebhookRules(retry)).toEqual([{ path: 'retry.maxIntervalSeconds', message: 'must not be less than retry.initialIntervalSeconds' }]);
  });
});

describe('event schema', () => {
  it('accepts the API.md example and fills defaults', () => {
    expect(eventSchema.parse({ type: 'loan.disbursed' })).toEqual({ type: 'loan.disbursed', data: {}, entityIds: [] });
  });

  it('reports every bad field', () => {
    const r = eventSchema.safeParse({ id: 'has space', type: '*', data: [1], entityIds: [''], occurredAt: 'yesterday', extra: 1 });
    expect(paths(r)).toEqual(
      expect.arrayContaining([
        'id: may contain only letters, digits and _ . : -',
        'type: must not be "*" (the wildcard of webhook eventTypes)',
        'data: must be a JSON object',
        'entityIds.0: must not be empty',
        'occurredAt: must be an ISO 8601 date-time',
      ]),
    );
    expect(paths(eventSchema.safeParse({}))).toContain('type: is required');
  });
});
