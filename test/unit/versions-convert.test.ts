import fc from 'fast-check';
import { applyBackward, applyForward, type Change } from '../../src/versions/changes';
import { convertData, type ChainLink } from '../../src/versions/convert';
import { pathProblem, set } from '../../src/versions/paths';
import { resolveTarget, sortVersions, isEventTypeVersion, newestOf } from '../../src/versions/semver-order';

describe('change kinds, forward and backward', () => {
  it('rename moves a field forward and back, nested paths included', () => {
    const changes: Change[] = [{ op: 'rename', from: 'client.name', to: 'customer.fullName' }];
    const old = { client: { name: 'Ana', id: 7 } };
    const forward = applyForward(structuredClone(old), changes);
    expect(forward).toEqual({ client: { id: 7 }, customer: { fullName: 'Ana' } });
    expect(applyBackward(structuredClone(forward), changes)).toEqual(old);
  });

  it('add sets the default going forward (unless present) and drops the field going back', () => {
    const changes: Change[] = [{ op: 'add', path: 'meta.channel', default: 'web' }];
    expect(applyForward({ a: 1 }, changes)).toEqual({ a: 1, meta: { channel: 'web' } });
    expect(applyForward({ meta: { channel: 'app' } }, changes)).toEqual({ meta: { channel: 'app' } });
    expect(applyBackward({ a: 1, meta: { channel: 'app' } }, changes)).toEqual({ a: 1 });
    expect(applyBackward({ meta: { channel: 'app', other: 1 } }, changes)).toEqual({ meta: { other: 1 } });
  });

  it('remove drops the field going forward and restores the default going back (unless present)', () => {
    const changes: Change[] = [{ op: 'remove', path: 'legacy', default: { code: 0 } }];
    expect(applyForward({ legacy: { code: 3 }, b: 2 }, changes)).toEqual({ b: 2 });
    expect(applyBackward({ b: 2 }, changes)).toEqual({ b: 2, legacy: { code: 0 } });
    expect(applyBackward({ legacy: 'kept' }, changes)).toEqual({ legacy: 'kept' });
  });

  it('defaults are copies: changing one converted document never changes the next', () => {
    const changes: Change[] = [{ op: 'add', path: 'tags', default: ['x'] }];
    const first = applyForward({}, changes);
    (first.tags as string[]).push('mutated');
    expect(applyForward({}, changes)).toEqual({ tags: ['x'] });
  });

  it('never throws on data of the wrong shape: what cannot apply is left as it is', () => {
    const changes: Change[] = [
      { op: 'rename', from: 'a.b', to: 'c.d' },
      { op: 'add', path: 'n.x', default: 1 },
      { op: 'remove', path: 'm.y', default: 1 },
    ];
    const odd = { a: 5, c: 'text', n: [1, 2], m: null };
    expect(applyForward(structuredClone(odd), changes)).toEqual(odd);
    expect(applyBackward(structuredClone(odd), changes)).toEqual(odd);
    // The renamed value is kept where it was when its new home cannot hold it.
    expect(applyForward({ a: { b: 1 }, c: 2 }, changes.slice(0, 1))).toEqual({ a: { b: 1 }, c: 2 });
  });

  it('refuses paths that reach the prototype, and never pollutes it', () => {
    expect(pathProblem('__proto__.polluted')).toMatch(/__proto__/);
    expect(pathProblem('a..b')).toMatch(/empty segment/);
    const data = JSON.parse('{"__proto__": {"x": 1}}');
    expect(set(data, ['__proto__', 'polluted'], true)).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('round trips (property-based)', () => {
  const key = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
  const path = fc.array(key, { minLength: 1, maxLength: 3 }).map((s) => s.join('.'));
  const value = fc.jsonValue({ maxDepth: 2 });
  // Other fields of the data: upper-case keys, so they never collide with the changed paths.
  const rest = fc.dictionary(fc.stringMatching(/^Q[a-z]{0,4}$/), value);
  const apart = (a: string, b: string) => a.split('.')[0] !== b.split('.')[0];

  it('rename: forward then backward gives back data at the older version', () => {
    fc.assert(
      fc.property(path, path, value, rest, (from, to, v, others) => {
        fc.pre(apart(from, to));
        const data = withField(others, from, v);
        const changes: Change[] = [{ op: 'rename', from, to }];
        expect(applyBackward(applyForward(structuredClone(data), changes), changes)).toEqual(data);
      }),
    );
  });

  it('rename: backward then forward gives back data at the newer version', () => {
    fc.assert(
      fc.property(path, path, value, rest, (from, to, v, others) => {
        fc.pre(apart(from, to));
        const data = withField(others, to, v);
        const changes: Change[] = [{ op: 'rename', from, to }];
        expect(applyForward(applyBackward(structuredClone(data), changes), changes)).toEqual(data);
      }),
    );
  });

  it('add and remove: a round trip through the version without the field leaves its default', () => {
    fc.assert(
      fc.property(path, value, value, rest, (p, v, d, others) => {
        const data = withField(others, p, v);
        const add: Change[] = [{ op: 'add', path: p, default: d }];
        const remove: Change[] = [{ op: 'remove', path: p, default: d }];
        expect(applyForward(applyBackward(structuredClone(data), add), add)).toEqual(withField(others, p, d));
        expect(applyBackward(applyForward(structuredClone(data), remove), remove)).toEqual(withField(others, p, d));
        // ...and one through the version with the field is the identity on data without it.
        expect(applyBackward(applyForward(structuredClone(others), add), add)).toEqual(others);
        expect(applyForward(applyBackward(structuredClone(others), remove), remove)).toEqual(others);
      }),
    );
  });
});

function withField(others: Record<string, unknown>, p: string, v: unknown): Record<string, unknown> {
  const data = structuredClone(others);
  set(data, p.split('.'), structuredClone(v));
  return data;
}

describe('conversion through a chain', () => {
  // The seed's example: 9.0.0 renames exampleField; 9.1.0 adds a field; 10.0.0 removes one.
  const chain: ChainLink[] = [
    { version: '8.0.3', changes: [] },
    { version: '9.0.0', changes: [{ op: 'rename', from: 'exampleField', to: 'newExampleField' }] },
    { version: '9.1.0', changes: [{ op: 'add', path: 'channel', default: 'api' }] },
    { version: '10.0.0', changes: [{ op: 'remove', path: 'legacy', default: 'n/a' }] },
  ];

  it('goes up through every later version', () => {
    expect(convertData({ exampleField: 1, legacy: 'x' }, chain, '8.0.3', '10.0.0')).toEqual({ newExampleField: 1, channel: 'api' });
  });

  it('goes down through every earlier version, newest first', () => {
    expect(convertData({ newExampleField: 1, channel: 'app' }, chain, '10.0.0', '8.0.3')).toEqual({ exampleField: 1, legacy: 'n/a' });
  });

  it('stops at the target, and leaves the input untouched', () => {
    const data = { exampleField: 1 };
    expect(convertData(data, chain, '8.0.3', '9.0.0')).toEqual({ newExampleField: 1 });
    expect(data).toEqual({ exampleField: 1 });
    expect(convertData(data, chain, '8.0.3', '8.0.3')).not.toBe(data);
  });

  it('converts nothing for a version not in the chain (never throws)', () => {
    expect(convertData({ a: 1 }, chain, '1.0.0', '9.0.0')).toEqual({ a: 1 });
  });

  it('down then up is the identity on newest data whose added fields hold their defaults (property-based)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 2 }), (v) => {
        const newest = { newExampleField: v, channel: 'api' };
        expect(convertData(convertData(newest, chain, '10.0.0', '8.0.3'), chain, '8.0.3', '10.0.0')).toEqual(newest);
      }),
    );
  });
});

describe('version order and targets', () => {
  it('accepts MAJOR.MINOR.PATCH only, and orders as semver (not as text)', () => {
    expect(['1.0.0', '10.2.3', '0.0.0'].every(isEventTypeVersion)).toBe(true);
    expect(['1.0', 'v1.0.0', '1.0.0-beta', '01.0.0', '1.0.0+x', ''].some(isEventTypeVersion)).toBe(false);
    expect(sortVersions([{ version: '10.0.0' }, { version: '9.1.0' }, { version: '9.0.10' }, { version: '9.0.2' }]).map((v) => v.version)).toEqual(['9.0.2', '9.0.10', '9.1.0', '10.0.0']);
    expect(newestOf(['9.0.0', '10.0.0', '9.5.0'])).toBe('10.0.0');
    expect(newestOf([])).toBeNull();
  });

  it('a pin gets the newest version not after it; a type newer than the pin its first version', () => {
    const versions = ['8.0.0', '9.0.0', '9.1.0'];
    expect(resolveTarget(versions, 'latest')).toBe('9.1.0');
    expect(resolveTarget(versions, '8.0.3')).toBe('8.0.0');
    expect(resolveTarget(versions, '9.0.5')).toBe('9.0.0');
    expect(resolveTarget(versions, '20.0.0')).toBe('9.1.0');
    expect(resolveTarget(['9.1.0', '9.2.0'], '8.0.3')).toBe('9.1.0');
  });
});
