import { SaxesParser } from 'saxes';
import { compileTemplate, renderBody, validateBodyTemplate, type ContentType } from '../../src/render/body-template';
import { sampleContext, type TemplateContext } from '../../src/render/context';

const JSON_CT = 'application/json';
const XML_CT = 'application/xml';
const TEXT_CT = 'text/plain';

function render(template: string | null, ctx: TemplateContext, contentType: ContentType = JSON_CT, payloadVersion = 'latest') {
  return renderBody({ template, contentType, payloadVersion, ctx });
}

const messages = (template: string | null, contentType: string = JSON_CT): string[] =>
  validateBodyTemplate(template, contentType).map((i) => i.message);

/** Text content of the root element, as an XML parser reads it. */
function xmlText(xml: string): { text: string; attributes: Record<string, string> } {
  const parser = new SaxesParser();
  let text = '';
  let attributes: Record<string, string> = {};
  parser.on('error', (err) => {
    throw err;
  });
  parser.on('opentag', (tag) => {
    attributes = tag.attributes as Record<string, string>;
  });
  parser.on('text', (t) => (text += t));
  parser.write(xml).close();
  return { text, attributes };
}

const HOSTILE = [
  'He said "hi"',
  'back\\slash \\" \\\\',
  'line\nbreak\r\n\ttab',
  'controls \u0000 \u0001 \u0008 \u001f \u007f',
  'emoji 😀 👩‍👩‍👧 and accents éü',
  '</script><script>alert(1)</script>',
  'separators \u2028 \u2029',
  '"}, "admin": true, "x": {"',
];

describe('JSON bodies', () => {
  it.each(HOSTILE)('escapes %j inside a string literal: the document parses and round-trips', (value) => {
    const { body, warnings } = render('{"name": "{{data.name}}", "id": "{{event.id}}"}', sampleContext({ name: value }));
    const parsed = JSON.parse(body);
    expect(parsed).toEqual({ name: value, id: 'evt_sample' });
    expect(Object.keys(parsed)).toEqual(['name', 'id']);
    expect(warnings).toEqual([]);
  });

  it('round-trips every hostile string at once, in keys of nested values too', () => {
    const data = { list: HOSTILE, nested: Object.fromEntries(HOSTILE.map((v, i) => [v, i])) };
    const { body } = render('{"list": {{json data.list}}, "nested": {{json data.nested}}}', sampleContext(data));
    expect(JSON.parse(body)).toEqual(data);
  });

  it('escapes U+2028 and U+2029 so the body is also safe to embed in JavaScript', () => {
    const { body } = render('{"a": "{{data.s}}", "b": {{json data.s}}}', sampleContext({ s: '\u2028\u2029' }));
    expect(body).not.toMatch(/[\u2028\u2029]/);
    expect(JSON.parse(body)).toEqual({ a: '\u2028\u2029', b: '\u2028\u2029' });
  });

  it('passes unicode through unescaped', () => {
    const { body } = render('{"a": "{{data.s}}"}', sampleContext({ s: 'é 😀' }));
    expect(body).toBe('{"a": "é 😀"}');
  });

  it('embeds whole values with {{json}}: objects, arrays, numbers, strings with quotes, null for missing', () => {
    const data = { customer: { name: 'A "B"', tags: ['x', 'y'] }, amount: 12.5, list: [1, { a: null }], s: 'q"uote' };
    const template = '{"c": {{json data.customer}}, "n": {{json data.amount}}, "l": {{json data.list}}, "s": {{json data.s}}, "m": {{json data.missing}}}';
    const { body, warnings } = render(template, sampleContext(data));
    expect(JSON.parse(body)).toEqual({ c: data.customer, n: 12.5, l: data.list, s: 'q"uote', m: null });
    expect(warnings).toEqual(['data.missing is missing']);
  });

  it('writes numbers and booleans bare, so a number can stand as a JSON value', () => {
    const { body } = render('{"amount": {{data.amount}}, "ok": {{data.ok}}}', sampleContext({ amount: 1000, ok: true }));
    expect(JSON.parse(body)).toEqual({ amount: 1000, ok: true });
  });

  it('writes objects inside a string literal as escaped JSON text, lists joined with commas', () => {
    const { body } = render('{"o": "{{data.o}}", "ids": "{{event.entityIds}}"}', sampleContext({ o: { a: '"' } }));
    expect(JSON.parse(body)).toEqual({ o: '{"a":"\\""}', ids: 'entity-1,entity-2' });
  });

  it('renders #each with @index, this and relative paths', () => {
    const template = '[{{#each data.items}}{"i": {{@index}}, "n": "{{name}}", "t": "{{this.name}}", "e": "{{../event.id}}"}{{#unless @last}},{{/unless}}{{/each}}]';
    const { body, warnings } = render(template, sampleContext({ items: [{ name: 'a"' }, { name: 'b' }] }));
    expect(JSON.parse(body)).toEqual([
      { i: 0, n: 'a"', t: 'a"', e: 'evt_sample' },
      { i: 1, n: 'b', t: 'b', e: 'evt_sample' },
    ]);
    expect(warnings).toEqual([]);
  });

  it('renders #each with block params and #with', () => {
    const template = '{"names": [{{#each data.items as |item|}}"{{item.name}}"{{#unless @last}},{{/unless}}{{/each}}], "c": "{{#with data.customer}}{{name}}{{/with}}"}';
    const { body } = render(template, sampleContext({ items: [{ name: 'a' }, { name: 'b' }], customer: { name: 'C' } }));
    expect(JSON.parse(body)).toEqual({ names: ['a', 'b'], c: 'C' });
  });

  it('accepts a placeholder right before a closing brace ({{x}}})', () => {
    expect(validateBodyTemplate('{"a": {"b": {{json data.b}}}}', JSON_CT)).toEqual([]);
    expect(JSON.parse(render('{"a": {"b": {{json data.b}}}}', sampleContext({ b: [1] })).body)).toEqual({ a: { b: [1] } });
  });
});

describe('missing data paths', () => {
  it('render empty and are listed in warnings', () => {
    const { body, warnings } = render('{"name": "{{data.customer.name}}", "id": "{{data.id}}"}', sampleContext({ id: 'x' }));
    expect(JSON.parse(body)).toEqual({ name: '', id: 'x' });
    expect(warnings).toEqual(['data.customer.name is missing']);
  });

  it('are not reported when a condition guards them', () => {
    const { warnings } = render('{"c": "{{#if data.coupon}}{{data.coupon.code}}{{/if}}"}', sampleContext({}));
    expect(warnings).toEqual([]);
  });

  it('a null value is present, not missing', () => {
    expect(render('{"a": "{{data.a}}"}', sampleContext({ a: null })).warnings).toEqual([]);
  });

  it('a body that turns out malformed for real data is reported', () => {
    const { warnings } = render('{"amount": {{data.amount}}}', sampleContext({ amount: 'not a number' }));
    expect(warnings).toEqual([expect.stringMatching(/^the rendered body is not valid JSON/)]);
  });
});

describe('XML bodies', () => {
  it('escapes & < > " \' in text and attributes', () => {
    const value = `Tom & "Jerry" <b>'s</b>`;
    const { body } = render('<order note="{{data.v}}" other=\'{{data.v}}\'>{{data.v}}</order>', sampleContext({ v: value }), XML_CT);
    expect(body).toBe(
      '<order note="Tom &amp; &quot;Jerry&quot; &lt;b&gt;&apos;s&lt;/b&gt;" other=\'Tom &amp; &quot;Jerry&quot; &lt;b&gt;&apos;s&lt;/b&gt;\'>Tom &amp; &quot;Jerry&quot; &lt;b&gt;&apos;s&lt;/b&gt;</order>',
    );
    const parsed = xmlText(body);
    expect(parsed.text).toBe(value);
    expect(parsed.attributes).toEqual({ note: value, other: value });
  });

  it('replaces characters XML cannot carry, so the document stays well-formed', () => {
    const { body, warnings } = render('<a>{{data.v}}</a>', sampleContext({ v: 'x\u0001y\uFFFEz 😀' }), XML_CT);
    expect(xmlText(body).text).toBe('x\uFFFDy\uFFFDz 😀');
    expect(warnings).toEqual([]);
  });

  it('escapes {{json}} output too', () => {
    const { body } = render('<a>{{json data.o}}</a>', sampleContext({ o: { k: '<v>' } }), XML_CT);
    expect(xmlText(body).text).toBe('{"k":"<v>"}');
  });
});

describe('text bodies', () => {
  it('writes values as they are', () => {
    const { body } = render('Hello {{data.name}} & <{{event.type}}> "{{json data.o}}"', sampleContext({ name: 'A & "B"', o: [1] }), TEXT_CT);
    expect(body).toBe('Hello A & "B" & <sample.event> "[1]"');
  });
});

describe('triple-stash', () => {
  it('is rejected at validation for JSON and XML', () => {
    expect(messages('{"a": "{{{data.x}}}"}')).toEqual([expect.stringMatching(/\{\{\{…\}\}\} and \{\{& …\}\} are not allowed in JSON templates/)]);
    expect(messages('{"a": "{{& data.x}}"}')).toEqual([expect.stringMatching(/are not allowed in JSON templates/)]);
    expect(messages('<a>{{{data.x}}}</a>', XML_CT)).toEqual([expect.stringMatching(/are not allowed in XML templates/)]);
  });

  it('is the same as double-stash in text bodies', () => {
    expect(validateBodyTemplate('{{{data.x}}} {{data.x}}', TEXT_CT)).toEqual([]);
    expect(render('{{{data.x}}}|{{data.x}}', sampleContext({ x: '<&>' }), TEXT_CT).body).toBe('<&>|<&>');
  });

  it('never writes raw text, even from a template saved before the rule', () => {
    const compiled = compileTemplate('{"a": "{{{data.x}}}"}', 'json');
    expect(compiled.problems.length).toBeGreaterThan(0);
    expect(() => compiled.run(sampleContext({ x: '"' }))).toThrow(/Invalid template/);
  });
});

describe('validateBodyTemplate', () => {
  it('accepts good templates', () => {
    expect(validateBodyTemplate('{"id": "{{event.id}}", "type": "{{event.type}}", "at": "{{event.occurredAt}}", "n": "{{notification.id}}", "w": "{{webhook.name}}"}', JSON_CT)).toEqual([]);
    expect(validateBodyTemplate('{"amount": {{data.amount}}, "items": [{{#each data.items}}{{json this}}{{#unless @last}},{{/unless}}{{/each}}]}', JSON_CT)).toEqual([]);
    expect(validateBodyTemplate('<?xml version="1.0"?><event id="{{event.id}}">{{#each data.items}}<item>{{name}}</item>{{/each}}</event>', XML_CT)).toEqual([]);
    expect(validateBodyTemplate('anything {{data.x}}', TEXT_CT)).toEqual([]);
  });

  it('names the field bodyTemplate', () => {
    expect(validateBodyTemplate('{{nope}}', JSON_CT)).toEqual([{ path: 'bodyTemplate', message: expect.stringMatching(/unknown placeholder/) }]);
  });

  it('rejects a template that does not compile', () => {
    expect(messages('{"a": "{{#if data.x}}"}')).toEqual([expect.stringMatching(/^does not compile: Parse error on line 1/)]);
  });

  it.each([
    ['{"a": "{{customer.name}}"}', 'a plain unknown root'],
    ['{"a": "{{#if customer}}x{{/if}}"}', 'inside #if'],
    ['{"a": "{{#each items}}{{this}}{{/each}}"}', 'the #each target'],
    ['{"a": {{json secrets.key}}}', 'a helper argument'],
    ['{"a": "{{#each data.items}}{{../customer}}{{/each}}"}', 'a parent path out of #each'],
    ['{"a": "{{@root.process}}"}', '@root'],
    ['{"a": "{{constructor.name}}"}', 'the prototype'],
  ])('rejects an unknown root: %s (%s)', (template) => {
    expect(messages(template)).toEqual([expect.stringMatching(/^unknown placeholder .*placeholders start with event, data, notification, webhook/)]);
  });

  it('rejects unknown fields of event, notification and webhook', () => {
    expect(messages('{"a": "{{event.ocurredAt}}"}')).toEqual([expect.stringMatching(/event has id, type, occurredAt, entityIds/)]);
    expect(messages('{"a": "{{webhook.secret}}"}')).toEqual([expect.stringMatching(/webhook has id, name/)]);
  });

  it('rejects the whole context, @index outside #each, paths above the root', () => {
    expect(messages('{"a": "{{this}}"}')).toEqual([expect.stringMatching(/is the whole context/)]);
    expect(messages('{"a": "{{@index}}"}')).toEqual([expect.stringMatching(/@index is only available inside \{\{#each\}\}/)]);
    expect(messages('{"a": "{{../data}}"}')).toEqual([expect.stringMatching(/goes above the top of the template/)]);
  });

  it('rejects unknown helpers, partials, and misused helpers', () => {
    expect(messages('{"a": "{{formatDate data.x}}"}')).toEqual([expect.stringMatching(/unknown helper "formatDate"/)]);
    expect(messages('{"a": "{{log data.x}}"}')).toEqual([expect.stringMatching(/unknown helper "log"/)]);
    expect(messages('{"a": "{{> header}}"}')).toEqual([expect.stringMatching(/partials .* are not supported/)]);
    expect(messages('{"a": "{{if data.x}}"}')).toEqual([expect.stringMatching(/if is a block helper/)]);
    expect(messages('{"a": {{json}}}')).toEqual([expect.stringMatching(/json takes 1 argument/)]);
  });

  it('reports every problem at once, also inside and around a misused helper', () => {
    const problems = messages(
      '{"a": "{{nope}}", "b": "{{formatDate customer.x}}", "c": "{{#if data.a data.b}}{{event.bad}}{{/if}}", "d": "{{#shout data.x}}{{@root.webhook.secret}}{{/shout}}", "e": {{json (upper secrets.k)}}}',
    );
    expect(problems).toEqual([
      expect.stringMatching(/^unknown placeholder \{\{nope\}\}/),
      expect.stringMatching(/^unknown helper "formatDate"/),
      expect.stringMatching(/^unknown placeholder \{\{customer\.x\}\}/),
      expect.stringMatching(/^\{\{#if\}\} takes exactly one argument, got 2/),
      expect.stringMatching(/event has id, type, occurredAt, entityIds/),
      expect.stringMatching(/^unknown helper "shout"/),
      expect.stringMatching(/webhook has id, name/),
      expect.stringMatching(/^unknown helper "upper"/),
      expect.stringMatching(/^unknown placeholder \{\{secrets\.k\}\}/),
    ]);
  });

  it('reports the position in the original template', () => {
    // Column of `nope` as the user wrote it, although `{{json data.a}}}` is parsed with a separator.
    expect(messages('{"x": 1,\n"a": {"b": {{json data.a}}}, "b": "{{nope}}"}')).toEqual([expect.stringMatching(/\(line 2, column 38\)$/)]);
  });

  it('rejects JSON that is not well-formed for a sample event', () => {
    expect(messages('{"a": {{data.name}} {{data.other}}}')).toEqual([expect.stringMatching(/^does not render to valid JSON .* for a sample event; .*rendered: \{"a": 1 1\}/)]);
    expect(messages('{"a": "x",}')).toEqual([expect.stringMatching(/^does not render to valid JSON/)]);
    expect(messages('')).toEqual([expect.stringMatching(/^does not render to valid JSON/)]);
    expect(messages('{"items": [{{#each data.items}}{{json this}},{{/each}}]}')).toEqual([expect.stringMatching(/^does not render to valid JSON/)]);
  });

  it('rejects XML that is not well-formed for a sample event', () => {
    expect(messages('<a>{{data.x}}</b>', XML_CT)).toEqual([expect.stringMatching(/^does not render to well-formed XML/)]);
    expect(messages('<a/><b/>', XML_CT)).toEqual([expect.stringMatching(/only one root/)]);
    expect(messages('<a>&nbsp;</a>', XML_CT)).toEqual([expect.stringMatching(/undefined entity/)]);
    expect(messages('just text', XML_CT)).toEqual([expect.stringMatching(/^does not render to well-formed XML/)]);
  });

  it('null is the default JSON envelope: fine for JSON, not for XML or text', () => {
    expect(validateBodyTemplate(null, JSON_CT)).toEqual([]);
    expect(validateBodyTemplate(null, TEXT_CT)).toEqual([{ path: 'bodyTemplate', message: 'is required for text/plain: the default envelopes are JSON' }]);
    expect(validateBodyTemplate(null, XML_CT)).toEqual([{ path: 'bodyTemplate', message: 'is required for application/xml: the default envelopes are JSON' }]);
  });

  it('rejects an unknown content type', () => {
    expect(validateBodyTemplate('x', 'text/html')).toEqual([{ path: 'contentType', message: 'must be one of application/json, application/xml, text/plain' }]);
  });
});

describe('renderBody', () => {
  it('renders the default envelope of the payload version when there is no template', () => {
    const ctx = sampleContext({ amount: 5 });
    expect(JSON.parse(render(null, ctx, JSON_CT, '2025-01-01').body)).toEqual({
      id: 'evt_sample',
      type: 'sample.event',
      occurredAt: '2025-01-01T00:00:00.000Z',
      entityIds: ['entity-1', 'entity-2'],
      data: { amount: 5 },
    });
    expect(JSON.parse(render(null, ctx, JSON_CT, 'latest').body)).toEqual({
      type: 'sample.event',
      timestamp: '2025-01-01T00:00:00.000Z',
      eventId: 'evt_sample',
      entityIds: ['entity-1', 'entity-2'],
      data: { amount: 5 },
    });
  });

  it('keeps prototype properties out of reach', () => {
    const { body, warnings } = render('{"a": "{{data.constructor}}", "b": "{{data.__proto__}}", "c": "{{data.x.constructor.name}}"}', sampleContext({ x: {} }));
    expect(JSON.parse(body)).toEqual({ a: '', b: '', c: '' });
    expect(warnings).toEqual(['data.constructor is missing', 'data.__proto__ is missing', 'data.x.constructor.name is missing']);
  });

  it('compiles a template once and reuses it', () => {
    expect(compileTemplate('{"a": "{{data.a}}"}', 'json')).toBe(compileTemplate('{"a": "{{data.a}}"}', 'json'));
    expect(compileTemplate('{"a": "{{data.a}}"}', 'json')).not.toBe(compileTemplate('{"a": "{{data.a}}"}', 'xml'));
  });

  it('throws on a template that fails validation', () => {
    expect(() => render('{"a": "{{nope}}"}', sampleContext())).toThrow(/unknown placeholder/);
  });
});
