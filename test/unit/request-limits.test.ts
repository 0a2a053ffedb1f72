import { exceedsDepth, MAX_JSON_DEPTH } from '../../src/http/request-limits';

/** `{"a": {"a": ... {}}}` with `levels` objects. */
function nested(levels: number, key = 'a'): unknown {
  let value: unknown = {};
  for (let i = 1; i < levels; i++) value = { [key]: value };
  return value;
}

describe('exceedsDepth', () => {
  it('counts objects and arrays, the outermost as level 1; scalars add nothing', () => {
    expect(exceedsDepth('text', 0)).toBeNull();
    expect(exceedsDepth({}, 1)).toBeNull();
    expect(exceedsDepth({}, 0)).toEqual({ topKey: '' });
    expect(exceedsDepth({ a: [1, { b: 'x' }] }, 3)).toBeNull();
    expect(exceedsDepth({ a: [1, { b: 'x' }] }, 2)).toEqual({ topKey: 'a' });
  });

  it('accepts exactly the limit and names the top-level key where it is passed', () => {
    expect(exceedsDepth({ type: 'x', data: nested(MAX_JSON_DEPTH - 1) }, MAX_JSON_DEPTH)).toBeNull();
    expect(exceedsDepth({ type: 'x', data: nested(MAX_JSON_DEPTH) }, MAX_JSON_DEPTH)).toEqual({ topKey: 'data' });
    expect(exceedsDepth([[[]]], 2)).toEqual({ topKey: '0' });
  });

  it('measures a 100,000-deep value without overflowing the stack', () => {
    // Built as JSON text and parsed, as a request body would be.
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(exceedsDepth({ data: deep }, MAX_JSON_DEPTH)).toEqual({ topKey: 'data' });
  });
});
