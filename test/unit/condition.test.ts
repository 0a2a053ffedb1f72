import { compileCondition, evaluateCondition, matchesCondition, MAX_CONDITION_CHARS, validateCondition } from '../../src/matching/condition';
import { RE2_MAX_CONDITION_PROGRAM_SIZE } from '../../src/matching/regex';
import { MATCH_TIME_BUDGET_MS, REGEX_WORK_BUDGET } from '../../src/matching/budget';

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
    expect(validateCondition({ 'data.name': { $regex: '(' } })).toEqual([
      { path: 'condition', message: expect.stringMatching(/^is not a valid condition at "data.name": \$regex "\(" is not supported: missing closing \)/) },
    ]);
  });

  it.each([
    ['a backreference', '(a)\\1'],
    ['a lookahead', 'a(?=b)'],
    ['a negative lookahead', 'a(?!b)'],
    ['a lookbehind', '(?<=a)b'],
  ])('rejects %s, which RE2 cannot run in linear time, naming the rule', (_what, pattern) => {
    expect(validateCondition({ 'data.name': { $regex: pattern } })).toEqual([
      { path: 'condition', message: expect.stringContaining('no backreferences or lookaround') },
    ]);
  });

  it('rejects a pattern too large to match cheaply, and $options RE2 lacks', () => {
    expect(validateCondition({ 'data.name': { $regex: '[a-z]{1000}' } })).toEqual([
      { path: 'condition', message: expect.stringMatching(/is too complex: \d+ instructions, the limit is 500/) },
    ]);
    expect(validateCondition({ 'data.name': { $regex: 'a', $options: 'x' } })).toEqual([
      { path: 'condition', message: 'is not a valid condition at "data.name": $options "x" is not supported: use i, m, s' },
    ]);
    expect(validateCondition({ 'data.name': { $regex: 7 } })).toEqual([{ path: 'condition', message: 'is not a valid condition at "data.name": $regex must be a string' }]);
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
      { path: 'condition', message: expect.stringMatching(/^is not a valid condition at "data.name": \$regex "\(" is not supported/) },
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

describe('condition size', () => {
  it(`refuses a condition over ${MAX_CONDITION_CHARS} characters of JSON, which would take long to compile`, () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `v${String(i).padStart(5, '0')}`);
    expect(validateCondition({ 'data.x': { $in: values(1500) } })).toEqual([]);
    expect(validateCondition({ 'data.x': { $in: values(2000) } })).toEqual([
      { path: 'condition', message: expect.stringMatching(new RegExp(`^must be at most ${MAX_CONDITION_CHARS} characters as JSON \\(it has \\d+\\)$`)) },
    ]);
    // A stored one from before the limit matches nothing rather than costing seconds.
    expect(evaluateCondition({ 'data.x': { $in: values(2000) } }, event)).toEqual({ matched: false, problem: expect.stringContaining('must be at most') });
  });

  it(`refuses regular expressions over ${RE2_MAX_CONDITION_PROGRAM_SIZE} instructions in all`, () => {
    const regexes = (n: number) => ({ $or: Array.from({ length: n }, (_, i) => ({ [`data.f${i}`]: { $regex: '[a-z]{400}' } })) });
    expect(validateCondition(regexes(4))).toEqual([]);
    expect(validateCondition(regexes(6))).toEqual([
      { path: 'condition', message: `is not a valid condition: its regular expressions are too complex together: more than ${RE2_MAX_CONDITION_PROGRAM_SIZE} instructions in all` },
    ]);
  });
});

describe('$regex on RE2', () => {
  const subject = (name: unknown) => ({ type: 't', data: { name }, entityIds: [] });

  it('matches like MongoDB: unanchored, with $options i, m and s', () => {
    expect(matchesCondition({ 'data.name': { $regex: 'cme' } }, subject('ACME cme'))).toBe(true);
    expect(matchesCondition({ 'data.name': { $regex: '^acme$', $options: 'i' } }, subject('ACME'))).toBe(true);
    expect(matchesCondition({ 'data.name': { $regex: '^acme$' } }, subject('ACME'))).toBe(false);
    expect(matchesCondition({ 'data.name': { $regex: '^b$' } }, subject('a\nb'))).toBe(false);
    expect(matchesCondition({ 'data.name': { $regex: '^b$', $options: 'm' } }, subject('a\nb'))).toBe(true);
    expect(matchesCondition({ 'data.name': { $regex: 'a.b', $options: 's' } }, subject('a\nb'))).toBe(true);
    expect(matchesCondition({ 'data.name': { $not: { $regex: '^x' } } }, subject('abc'))).toBe(true);
    expect(matchesCondition({ 'data.name': { $regex: '(?<word>\\w+) \\d+' } }, subject('loan 7'))).toBe(true);
  });

  it('tests only strings, and any element of a list', () => {
    expect(matchesCondition({ 'data.name': { $regex: '1' } }, subject(1))).toBe(false);
    expect(matchesCondition({ 'data.name': { $regex: '^b' } }, subject(['a', 'bc']))).toBe(true);
  });

  it('runs the catastrophic-backtracking pattern of the issue at once', () => {
    // With RegExp, (a+)+$ against "a"×50+"b" backtracks about 2^50 times: the process hangs.
    const evil = 'a'.repeat(50) + 'b';
    expect(validateCondition({ 'data.x': { $regex: '(a+)+$' } })).toEqual([]);
    expect(evaluateCondition({ 'data.x': { $regex: '(a+)+$' } }, { type: 't', data: { x: evil }, entityIds: [] })).toEqual({ matched: false });
    expect(matchesCondition({ 'data.x': { $regex: '(a+)+b$' } }, { type: 't', data: { x: evil }, entityIds: [] })).toBe(true);
  });

  it('stops at the work budget: the condition then matches nothing and says why', () => {
    // 3 MB of text through a pattern of about 100 instructions is past the budget.
    const big = Array.from({ length: 3 }, () => 'a'.repeat(1_000_000));
    const condition = { 'data.name': { $regex: '[a-z]{99}[0-9]' } };
    const result = evaluateCondition(condition, subject(big));
    expect(result).toEqual({ matched: false, problem: expect.stringContaining(`work budget of ${REGEX_WORK_BUDGET}`) });
    // The same condition on a small value still runs normally afterwards (the budget is per evaluation).
    expect(evaluateCondition(condition, subject(`${'a'.repeat(99)}7`))).toEqual({ matched: true });
  });

  it('stops at the time budget: a long $in against a long array ends instead of holding the process', () => {
    // 1,500 values (within the size limit) × 200,000 elements (a 1 MiB event) is 3 × 10^8 comparisons: seconds.
    const values = Array.from({ length: 1500 }, (_, i) => `v${i}`);
    const data = Array.from({ length: 200_000 }, (_, i) => `w${i}`);
    const result = evaluateCondition({ 'data.name': { $in: values } }, subject(data));
    expect(result).toEqual({ matched: false, problem: `evaluating it takes more than the time budget of ${MATCH_TIME_BUDGET_MS} ms` });
    // Within the budget the same operator works as usual.
    expect(evaluateCondition({ 'data.name': { $in: values } }, subject(['x', 'v1499']))).toEqual({ matched: true });
  });

  it('a stored condition that no longer compiles matches nothing instead of throwing', () => {
    const stored = { 'data.name': { $regex: '(a)\\1' } };
    expect(() => matchesCondition(stored, subject('aa'))).not.toThrow();
    expect(evaluateCondition(stored, subject('aa'))).toEqual({ matched: false, problem: expect.stringContaining('not supported') });
  });
});
