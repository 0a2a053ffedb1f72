import { renderUrl, USERINFO_MESSAGE, validateUrlTemplate } from '../../src/render/url-template';
import { sampleContext } from '../../src/render/context';

const messages = (template: string): string[] => validateUrlTemplate(template).map((i) => i.message);

describe('validateUrlTemplate', () => {
  it('accepts placeholders in the path and the query', () => {
    expect(validateUrlTemplate('https://api.example.com/orders/{{data.orderId}}?event={{event.type}}&id={{event.id}}')).toEqual([]);
    expect(validateUrlTemplate('http://api.example.com:8080/hooks/{{webhook.id}}/{{notification.id}}')).toEqual([]);
  });

  it('accepts block helpers in the path', () => {
    expect(validateUrlTemplate('https://api.example.com/{{#if data.vip}}vip{{else}}std{{/if}}/{{data.id}}')).toEqual([]);
  });

  it('reports every issue at path url', () => {
    const issues = validateUrlTemplate('ftp://{{data.host}}/x');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.path === 'url')).toBe(true);
  });

  it.each([
    ['ftp://api.example.com/x', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['javascript://alert(1)', /only http and https/],
    ['/relative/{{data.id}}', /absolute URL starting with http:\/\/ or https:\/\//],
  ])('rejects a non-http(s) URL: %s', (template, rule) => {
    expect(messages(template)).toEqual(expect.arrayContaining([expect.stringMatching(rule)]));
  });

  it.each(["https://api.example.com/it's", 'https://api.example.com/"x"', 'https://api.example.com/`x`', 'https://api.example.com/{{lookup data "k"}}'])(
    'rejects quotes: %s',
    (template) => {
      expect(messages(template)).toContain("must not contain quotes (', \" or `)");
    },
  );

  it('rejects a placeholder in the scheme', () => {
    expect(messages('{{data.scheme}}://api.example.com/x')).toEqual(['placeholders are not allowed in the scheme']);
  });

  it.each(['https://{{data.host}}/x', 'https://api.{{data.tenant}}.example.com/x', 'https://api.example.com{{data.path}}', 'https://{{#if data.a}}a.example.com{{/if}}/x'])(
    'rejects a placeholder in the host: %s',
    (template) => {
      expect(messages(template)).toContain('placeholders are not allowed in the host: only in the path and query');
    },
  );

  it.each(['https://api.example.com:{{data.port}}/', 'http://[::1]:{{data.port}}/x'])('rejects a placeholder in the port: %s', (template) => {
    expect(messages(template)).toEqual(['placeholders are not allowed in the port: only in the path and query']);
  });

  it.each(['http://user:pass@api.example.com/', 'https://user@api.example.com/x', 'https://:pw@api.example.com', 'https://user:{{data.pw}}@api.example.com/'])(
    'refuses credentials in the URL and points to auth: %s',
    (template) => {
      expect(messages(template)).toEqual([USERINFO_MESSAGE]);
      expect(USERINFO_MESSAGE).toMatch(/`auth`/);
    },
  );

  it('accepts an @ after the host, in the path or query', () => {
    expect(validateUrlTemplate('https://api.example.com/users/@me?mention=@{{data.user}}')).toEqual([]);
  });

  it('rejects a placeholder in the fragment', () => {
    expect(messages('https://api.example.com/x#{{data.anchor}}')).toEqual([
      'placeholders are not allowed in the fragment (#…): only in the path and query',
    ]);
  });

  it('gives each broken rule its own message', () => {
    const found = messages('https://{{data.host}}:{{data.port}}/"x"');
    expect(found).toEqual(
      expect.arrayContaining([
        "must not contain quotes (', \" or `)",
        'placeholders are not allowed in the host: only in the path and query',
        'placeholders are not allowed in the port: only in the path and query',
      ]),
    );
    expect(found).toHaveLength(3);
  });

  it('rejects spaces in the literal text', () => {
    expect(messages('https://api.example.com/a b')).toContain('must not contain spaces or control characters');
  });

  it('rejects a template that does not compile', () => {
    expect(messages('https://api.example.com/{{data.id')).toEqual([expect.stringMatching(/^does not compile: /)]);
  });

  it('rejects unknown placeholder roots and fields', () => {
    expect(messages('https://api.example.com/{{customer.id}}')).toEqual([expect.stringMatching(/unknown placeholder \{\{customer\.id\}\}/)]);
    expect(messages('https://api.example.com/{{event.name}}')).toEqual([expect.stringMatching(/event has id, type, occurredAt, entityIds/)]);
  });

  it('rejects a URL without a literal host (WHATWG would take the host from the data)', () => {
    expect(messages('https:///{{data.host}}')).toEqual(['must name a host right after the scheme (https://host/…)']);
  });

  it('rejects backslashes, which WHATWG URL reads as slashes', () => {
    expect(messages('https://api.example.com\\@{{data.host}}/')).toContain('must not contain backslashes');
  });

  it('rejects a template that is not a valid URL once filled in', () => {
    expect(messages('https://exa mple.com/{{data.id}}')).toContain('must not contain spaces or control characters');
    expect(messages('https://[::1/{{data.id}}')).toEqual([expect.stringMatching(/^is not a valid URL once placeholders are filled in/)]);
  });

  it('requires a string', () => {
    expect(validateUrlTemplate(undefined)).toEqual([{ path: 'url', message: 'is required' }]);
    expect(validateUrlTemplate('')).toEqual([{ path: 'url', message: 'is required' }]);
  });
});

describe('renderUrl', () => {
  it('URL-encodes every value', () => {
    const ctx = sampleContext({ a: 'a b/c', b: 'x&y' });
    expect(renderUrl('https://api.example.com/items/{{data.a}}?q={{data.b}}', ctx)).toBe('https://api.example.com/items/a%20b%2Fc?q=x%26y');
  });

  it('keeps a value from adding path segments, query parameters or a fragment', () => {
    const ctx = sampleContext({ id: '../admin?x=1#y' });
    const url = new URL(renderUrl('https://api.example.com/orders/{{data.id}}', ctx));
    expect(url.host).toBe('api.example.com');
    expect(url.pathname).toBe('/orders/..%2Fadmin%3Fx%3D1%23y');
    expect(url.search).toBe('');
    expect(url.hash).toBe('');
  });

  it('renders event, notification and webhook fields', () => {
    const ctx = sampleContext();
    expect(renderUrl('https://h.example/{{event.type}}/{{notification.id}}/{{webhook.id}}?e={{event.entityIds}}', ctx)).toBe(
      'https://h.example/sample.event/ntf_sample/wh_sample?e=entity-1%2Centity-2',
    );
  });

  it('renders a missing value as empty', () => {
    expect(renderUrl('https://h.example/orders/{{data.nope}}', sampleContext({}))).toBe('https://h.example/orders/');
  });

  it('throws on a template that fails validation', () => {
    expect(() => renderUrl('https://h.example/{{nope}}', sampleContext())).toThrow(/unknown placeholder/);
  });
});
