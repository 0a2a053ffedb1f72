import { compileCondition, matchesCondition, validateCondition } from '../../src/matching/condition';

const event = { type: 'loan.disbursed', data: { amount: 1500, currency: 'EUR', client: { tier: 'gold' } }, entityIds: ['client-1', 'loan-7'] };

describe('matchesCondition', () => {
  it('matches every event without a condition', () => {
    expect(matchesCondition(null, event)).toBe(true);
    expect(matchesCondition(undefined, event)).toBe(true);
    expect(matchesCondition({}, event)).toBe(true);
  });

  it('matches on equality of type and data fields', () => {
    expect(matchesCondition({ type: 'loan.disbursed', 'data.currency': 'EUR' }, event)).toBe(true);
    expect(matchesCondition({ 'data.client.tier': 'gold' }, event)).toBe(true);
  });

  it('does not match when a field differs', () => {
    expect(matchesCondition({ type: 'loan.repaid' }, event)).toBe(false);
    expect(matchesCondition({ 'data.currency': 'USD' }, event)).toBe(false);
    expect(matchesCondition({ 'data.missing': 'x' }, event)).toBe(false);
  });

  it('supports $gte', () => {
    expect(matchesCondition({ 'data.amount': { $gte: 1000 } }, event)).toBe(true);
    expect(matchesCondition({ 'data.amount': { $gte: 1500 } }, event)).toBe(true);
    expect(matchesCondition({ 'data.amount': { $gte: 1501 } }, event)).toBe(false);
  });

  it('supports $in, on a value and on the entity list', () => {
    expect(matchesCondition({ 'data.currency': { $in: ['USD', 'EUR'] } }, event)).toBe(true);
    expect(matchesCondition({ 'data.currency': { $in: ['USD', 'GBP'] } }, event)).toBe(false);
    expect(matchesCondition({ entityIds: { $in: ['loan-7'] } }, event)).toBe(true);
    expect(matchesCondition({ entityIds: { $in: ['loan-8'] } }, event)).toBe(false);
  });

  it('supports $and and $or', () => {
    const both = { $and: [{ 'data.amount': { $gte: 1000 } }, { 'data.currency': 'EUR' }] };
    expect(matchesCondition(both, event)).toBe(true);
    expect(matchesCondition({ $and: [{ 'data.amount': { $gte: 1000 } }, { 'data.currency': 'USD' }] }, event)).toBe(false);
    expect(matchesCondition({ $or: [{ 'data.amount': { $lt: 10 } }, { type: 'loan.disbursed' }] }, event)).toBe(true);
  });

  it('compiles a condition once and reuses it', () => {
    expect(compileCondition({ 'data.amount': { $gte: 1 } })).toBe(compileCondition({ 'data.amount': { $gte: 1 } }));
    expect(compileCondition({ 'data.amount': { $gte: 1 } })).not.toBe(compileCondition({ 'data.amount': { $gte: 2 } }));
  });
});

describe('validateCondition', () => {
  it('accepts null and valid conditions', () => {
    expect(validateCondition(null)).toEqual([]);
    expect(validateCondition({ 'data.amount': { $gte: 1000 } })).toEqual([]);
    expect(validateCondition({ $and: [{ type: { $in: ['a', 'b'] } }, { entityIds: 'client-1' }, { 'data.x': { $exists: true } }] })).toEqual([]);
    expect(validateCondition({ 'data.name': { $regex: '^A', $options: 'i' } })).toEqual([]);
  });

  it('rejects an unknown operator at path condition', () => {
    expect(validateCondition({ 'data.amount': { $foo: 1 } })).toEqual([{ path: 'condition', message: 'is not a valid condition at "data.amount": Unsupported operation: $foo' }]);
    expect(validateCondition({ $and: [{ 'data.amount': { $gte: 1 } }, { 'data.x': { $bar: 1 } }] })).toEqual([
      { path: 'condition.$and.1', message: 'is not a valid condition at "data.x": Unsupported operation: $bar' },
    ]);
  });

  it('rejects $where, which would run a string as code', () => {
    expect(validateCondition({ $where: 'process.exit(1)' })).toEqual([{ path: 'condition', message: 'is not a valid condition at "$where": Unsupported operation: $where' }]);
    expect(() => compileCondition({ 'data.x': { $where: 'true' } })).toThrow(/Unsupported operation: \$where/);
  });

  it('rejects an invalid regular expression', () => {
    expect(validateCondition({ 'data.name': { $regex: '(' } })).toEqual([{ path: 'condition', message: expect.stringMatching(/^is not a valid condition at "data.name": Invalid regular expression/) }]);
  });

  it('rejects anything but an object', () => {
    for (const bad of ['data.amount > 1', 42, true, [{ type: 'x' }]]) {
      expect(validateCondition(bad)).toEqual([{ path: 'condition', message: 'must be an object or null' }]);
    }
  });

  it('rejects fields outside type, data and entityIds, which would never match', () => {
    expect(validateCondition({ amount: { $gte: 1 } })).toEqual([
      { path: 'condition', message: 'unknown field "amount": conditions apply to type, entityIds and data.<path>' },
    ]);
    expect(validateCondition({ $or: [{ type: 'a' }, { tenant: 'b' }] })).toEqual([
      { path: 'condition.$or.1', message: 'unknown field "tenant": conditions apply to type, entityIds and data.<path>' },
    ]);
  });

  it('reports every problem at once, wherever it is', () => {
    const issues = validateCondition({
      amount: { $gte: 1 },
      'data.amount': { $gte: 1, $foo: 2, $bar: 3 },
      'data.name': { $regex: '(' },
      $or: [{ tenant: 'x' }, { 'data.tags': { $elemMatch: { $baz: 1 } } }],
      $and: { type: 'a' },
    });
    expect(issues).toEqual([
      { path: 'condition', message: 'unknown field "amount": conditions apply to type, entityIds and data.<path>' },
      { path: 'condition', message: 'is not a valid condition at "data.amount": Unsupported operation: $foo' },
      { path: 'condition', message: 'is not a valid condition at "data.amount": Unsupported operation: $bar' },
      { path: 'condition', message: expect.stringMatching(/^is not a valid condition at "data.name": Invalid regular expression/) },
      { path: 'condition.$or.0', message: 'unknown field "tenant": conditions apply to type, entityIds and data.<path>' },
      { path: 'condition.$or.1', message: 'is not a valid condition at "data.tags.$elemMatch": Unsupported operation: $baz' },
      { path: 'condition.$and', message: '$and takes a list of conditions' },
    ]);
  });

  it('accepts $elemMatch over element fields, $not and $regex with $options', () => {
    expect(validateCondition({ 'data.items': { $elemMatch: { sku: 'a', qty: { $gt: 1 } } } })).toEqual([]);
    expect(validateCondition({ 'data.n': { $not: { $gt: 5 } }, 'data.s': { $regex: '^a', $options: 'i' } })).toEqual([]);
    expect(validateCondition({ 'data.items': { $elemMatch: { qty: { $nope: 1 } } } })).toEqual([
      { path: 'condition', message: 'is not a valid condition at "qty": Unsupported operation: $nope' },
    ]);
  });

  it('rejects logical operators without a list of conditions', () => {
    expect(validateCondition({ $and: { type: 'a' } })).toEqual([{ path: 'condition.$and', message: '$and takes a list of conditions' }]);
    expect(validateCondition({ $or: ['type'] })).toEqual([{ path: 'condition.$or.0', message: 'must be an object' }]);
  });
});
