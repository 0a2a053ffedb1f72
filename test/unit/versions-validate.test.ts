import { versionIssues, MAX_VERSION_BYTES, MAX_VERSION_DEPTH } from '../../src/versions/validate-changes';
import { cachedSchemaCount, compileSchema, schemaIssues } from '../../src/versions/schema-cache';
import type { Change } from '../../src/versions/changes';

const v8 = {
  version: '8.0.3',
  schema: {
    type: 'object',
    properties: { exampleField: { type: 'string' }, legacy: { type: 'integer' }, client: { type: 'object', properties: { name: { type: 'string' } } } },
    required: ['exampleField'],
  },
};
const v9schema = {
  type: 'object',
  properties: { newExampleField: { type: 'string' }, channel: { type: 'string', enum: ['api', 'web'] }, client: { $ref: '#/$defs/client' } },
  $defs: { client: { type: 'object', properties: { fullName: { type: 'string' } } } },
};

const NONE = { version: '1.0.0', schema: undefined as never };
const messages = (changes: Change[], schema: unknown = v9schema, previous: typeof v8 | null = v8) =>
  versionIssues({ schema, changes }, previous ?? undefined).map((i) => `${i.path}: ${i.message}`);

describe('a version is saved only if every change can apply', () => {
  it('accepts the changes that match both schemas (nested and $ref paths included)', () => {
    expect(
      messages([
        { op: 'rename', from: 'exampleField', to: 'newExampleField' },
        { op: 'rename', from: 'client.name', to: 'client.fullName' },
        { op: 'add', path: 'channel', default: 'api' },
        { op: 'remove', path: 'legacy', default: 0 },
      ]),
    ).toEqual([]);
  });

  it('refuses a rename of a field the previous version does not have, or to one this version does not have', () => {
    expect(messages([{ op: 'rename', from: 'exampleFeld', to: 'newExampleField' }])).toEqual([
      'changes.0.from: "exampleFeld" is not a field of 8.0.3\'s schema: nothing to rename',
    ]);
    expect(messages([{ op: 'rename', from: 'exampleField', to: 'other' }])).toEqual(['changes.0.to: "other" is not a field of this version\'s schema']);
    expect(messages([{ op: 'rename', from: 'exampleField', to: 'exampleField' }])).toEqual(['changes.0.to: must differ from "from"']);
    expect(messages([{ op: 'rename', from: 'client', to: 'client.name' }], null, NONE)[0]).toMatch(/must not be or lie inside/);
  });

  it('refuses an add of a field that already existed, or a default the schema rejects', () => {
    expect(messages([{ op: 'add', path: 'channel', default: 'fax' }])).toEqual([
      'changes.0.default: is not valid for "channel" in this version\'s schema: value must be equal to one of the allowed values',
    ]);
    expect(messages([{ op: 'add', path: 'client', default: {} }], { ...v9schema })[0]).toMatch(/already a field of 8.0.3's schema/);
  });

  it('refuses a remove of a field still declared, or with a default the previous schema rejects', () => {
    expect(messages([{ op: 'remove', path: 'channel', default: 'x' }])).toEqual([
      'changes.0.path: "channel" is not a field of 8.0.3\'s schema: nothing to remove',
      'changes.0.path: "channel" is still a field of this version\'s schema: it is not removed',
    ]);
    expect(messages([{ op: 'remove', path: 'legacy', default: 'zero' }])[0]).toMatch(/^changes.0.default: is not valid for "legacy" in 8.0.3's schema/);
  });

  it('refuses two changes touching the same data, and bad paths', () => {
    expect(
      messages(
        [
          { op: 'rename', from: 'a', to: 'b' },
          { op: 'add', path: 'b.c', default: 1 },
          { op: 'remove', path: '__proto__', default: 1 },
          { op: 'add', path: 'x..y', default: 1 },
        ],
        null,
        NONE,
      ),
    ).toEqual([
      'changes.1.path: "b.c" touches the same data as "b" (changes.0): each field may change once per version',
      'changes.2.path: must not use the segment "__proto__"',
      'changes.3.path: must not have an empty segment ("a..b", ".a" or "a.")',
    ]);
  });

  it('without schemas, any well-formed change list applies', () => {
    expect(messages([{ op: 'rename', from: 'a.b', to: 'c' }, { op: 'remove', path: 'd', default: null }], null, NONE)).toEqual([]);
  });

  it('the first version of a type has no changes', () => {
    expect(messages([{ op: 'add', path: 'x', default: 1 }], null, null)[0]).toMatch(/first version/);
  });

  it('refuses a bad schema with the reason: an unknown keyword, an unresolvable $ref, a backtracking pattern', () => {
    expect(messages([], { type: 'object', requird: ['a'] })[0]).toMatch(/^schema: is not a usable JSON Schema.*unknown keyword: "requird"/);
    expect(messages([], { $ref: 'https://example.com/s.json' })[0]).toMatch(/can't resolve reference/);
    expect(messages([], { type: 'string', pattern: '(a)\\1' })[0]).toMatch(/RE2/);
    expect(messages([], { type: 'objet' })[0]).toMatch(/^schema:/);
  });

  it('refuses a body over 64 KiB and a schema or default nested too deep', () => {
    const big = { type: 'object', description: 'x'.repeat(MAX_VERSION_BYTES) };
    expect(messages([], big)[0]).toMatch(/more than the limit of 65536/);
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < MAX_VERSION_DEPTH; i++) deep = { type: 'object', properties: { a: deep } };
    expect(messages([], deep)[0]).toMatch(/^schema: is nested more than 32 levels deep/);
    let deepValue: unknown = 1;
    for (let i = 0; i < MAX_VERSION_DEPTH + 1; i++) deepValue = [deepValue];
    expect(messages([{ op: 'add', path: 'x', default: deepValue }], null, NONE)[0]).toMatch(/default: is nested more than/);
  });
});

describe('schema cache', () => {
  it('compiles a schema once, and lists every bad field of the data', () => {
    const schema = { type: 'object', properties: { amount: { type: 'number' }, client: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'], additionalProperties: false } }, required: ['amount'] };
    const before = cachedSchemaCount();
    const a = compileSchema(schema);
    expect(compileSchema(JSON.parse(JSON.stringify(schema)))).toBe(a);
    expect(cachedSchemaCount()).toBe(before + 1);
    expect(schemaIssues(a, { client: { x: 1 } })).toEqual([
      { path: 'data.amount', message: 'is required' },
      { path: 'data.client.id', message: 'is required' },
      { path: 'data.client.x', message: 'is not allowed by the schema' },
    ]);
    expect(schemaIssues(a, { amount: 5, client: { id: 'c' } })).toEqual([]);
  });

  it('two schemas with the same $id (two accounts) compile side by side', () => {
    const one = compileSchema({ $id: 'https://example.com/loan', type: 'object', required: ['a'] });
    const two = compileSchema({ $id: 'https://example.com/loan', type: 'object', required: ['b'] });
    expect(schemaIssues(one, { a: 1 })).toEqual([]);
    expect(schemaIssues(two, { a: 1 })).toEqual([{ path: 'data.b', message: 'is required' }]);
  });

  it('patterns run on RE2: a catastrophic pattern for RegExp takes no time', () => {
    const s = compileSchema({ type: 'string', pattern: '^(a+)+$' });
    const started = Date.now();
    expect(s.validate(`${'a'.repeat(50_000)}b`)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
