import { changesBetween } from '../../src/versions/upgrade';
import type { ChainLink } from '../../src/versions/convert';

const chain: ChainLink[] = [
  { version: '8.0.3', changes: [] },
  { version: '9.0.0', changes: [{ op: 'rename', from: 'exampleField', to: 'newExampleField' }] },
  { version: '9.1.0', changes: [{ op: 'add', path: 'channel', default: 'api' }, { op: 'remove', path: 'legacy', default: 0 }] },
];

describe('changesBetween: what a receiver sees change when its version moves', () => {
  it('going up lists each version\'s changes as declared', () => {
    expect(changesBetween(chain, '8.0.3', '9.1.0')).toEqual({
      renamed: [{ from: 'exampleField', to: 'newExampleField', version: '9.0.0' }],
      added: [{ path: 'channel', default: 'api', version: '9.1.0' }],
      removed: [{ path: 'legacy', version: '9.1.0' }],
    });
  });

  it('going down inverts them', () => {
    expect(changesBetween(chain, '9.1.0', '8.0.3')).toEqual({
      renamed: [{ from: 'newExampleField', to: 'exampleField', version: '9.0.0' }],
      added: [{ path: 'legacy', default: 0, version: '9.1.0' }],
      removed: [{ path: 'channel', version: '9.1.0' }],
    });
  });

  it('nothing for the same version or one not in the chain', () => {
    const none = { renamed: [], added: [], removed: [] };
    expect(changesBetween(chain, '9.0.0', '9.0.0')).toEqual(none);
    expect(changesBetween(chain, '1.0.0', '9.0.0')).toEqual(none);
  });
});
