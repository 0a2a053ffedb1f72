import { dataForTarget, effectiveTarget, followsAccount } from '../../src/versions/target';
import { postedVersion } from '../../src/versions/posted';
import type { ChainLink } from '../../src/versions/convert';

const chain: Array<ChainLink & { schema?: unknown }> = [
  { version: '8.0.3', changes: [], schema: { type: 'object', required: ['exampleField'] } },
  { version: '9.0.0', changes: [{ op: 'rename', from: 'exampleField', to: 'newExampleField' }], schema: { type: 'object', properties: { newExampleField: { type: 'string' } }, required: ['newExampleField'] } },
];

describe("a webhook's effective version", () => {
  it('"account" (the default) follows the pin, or the newest without one; "latest" and a semver are its own', () => {
    expect(effectiveTarget(undefined, '8.0.3')).toBe('8.0.3');
    expect(effectiveTarget('account', null)).toBe('latest');
    expect(effectiveTarget('latest', '8.0.3')).toBe('latest');
    expect(effectiveTarget('9.0.0', '8.0.3')).toBe('9.0.0');
    expect([followsAccount(null), followsAccount('account'), followsAccount('latest'), followsAccount('8.0.3')]).toEqual([true, true, false, false]);
  });

  it('converts to the resolved version; an unversioned type or event goes out as posted', () => {
    expect(dataForTarget({ newExampleField: 'x' }, chain, '9.0.0', '8.5.0')).toEqual({ version: '8.0.3', data: { exampleField: 'x' } });
    expect(dataForTarget({ exampleField: 'x' }, chain, '8.0.3', 'latest')).toEqual({ version: '9.0.0', data: { newExampleField: 'x' } });
    expect(dataForTarget({ a: 1 }, [], '1.0.0', 'latest')).toBeNull();
    expect(dataForTarget({ a: 1 }, chain, null, 'latest')).toBeNull();
  });
});

describe('the posted version', () => {
  it('defaults to the newest and checks data against its schema', () => {
    expect(postedVersion(chain, undefined, { newExampleField: 'x' })).toEqual({ version: '9.0.0', issues: [] });
    expect(postedVersion(chain, undefined, { exampleField: 'x' }).issues).toEqual([{ path: 'data.newExampleField', message: 'is required' }]);
    expect(postedVersion(chain, '8.0.3', { exampleField: 'x' })).toEqual({ version: '8.0.3', issues: [] });
  });

  it('refuses a version that is not declared, and any version for an unversioned type', () => {
    expect(postedVersion(chain, '7.0.0', {}).issues[0]).toEqual({ path: 'version', message: 'is not a declared version of this type (declared: 8.0.3, 9.0.0)' });
    expect(postedVersion([], '1.0.0', {}).issues[0].path).toBe('version');
    expect(postedVersion([], undefined, {})).toEqual({ version: null, issues: [] });
  });
});
