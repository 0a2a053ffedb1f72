import { isTargeted } from '../../src/matching/targeting';

const subs = (entries: Array<[string, boolean]>): ReadonlyMap<string, boolean> => new Map(entries);
const entities = ['client-1', 'loan-7'];

describe('opt-in', () => {
  it('does not fire when no entity is switched on', () => {
    expect(isTargeted('opt-in', entities, subs([]))).toBe(false);
    expect(isTargeted('opt-in', entities, subs([['client-1', false]]))).toBe(false);
    expect(isTargeted('opt-in', entities, subs([['other', true]]))).toBe(false);
  });

  it('fires when one of the entities is switched on', () => {
    expect(isTargeted('opt-in', entities, subs([['loan-7', true]]))).toBe(true);
    expect(isTargeted('opt-in', entities, subs([['client-1', false], ['loan-7', true]]))).toBe(true);
  });

  it('does not fire for an event without entities', () => {
    expect(isTargeted('opt-in', [], subs([['client-1', true]]))).toBe(false);
  });
});

describe('opt-out', () => {
  it('fires when no entity is switched off', () => {
    expect(isTargeted('opt-out', entities, subs([]))).toBe(true);
    expect(isTargeted('opt-out', entities, subs([['client-1', true], ['other', false]]))).toBe(true);
  });

  it('does not fire when one of the entities is switched off', () => {
    expect(isTargeted('opt-out', entities, subs([['loan-7', false]]))).toBe(false);
    expect(isTargeted('opt-out', entities, subs([['client-1', true], ['loan-7', false]]))).toBe(false);
  });

  it('fires for an event without entities', () => {
    expect(isTargeted('opt-out', [], subs([['client-1', false]]))).toBe(true);
  });
});
