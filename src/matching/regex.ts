/**
 * `$regex` in webhook conditions, run by RE2 (the pure-JavaScript port, re2js) instead of the
 * backtracking RegExp: `(a+)+$` against "a"×50+"b" takes microseconds instead of hours. A
 * condition comes from an API caller and is matched on the event loop that also serves the API,
 * so matching must be bounded:
 * - RE2 matches in time linear in the input: no backreferences, no lookaround (refused when saved);
 * - the compiled program is capped (RE2_MAX_PROGRAM_SIZE), since the cost is input × program
 *   (`[a-z]{1000}` ×20 is linear and still takes seconds);
 * - a work budget per condition evaluation (./budget.ts) stops the rest: past it the
 *   condition counts as not matching (see evaluateCondition).
 */
import { RE2JS } from 're2js';
import { chargeRegex } from './budget';

/** Instructions of a compiled pattern; `\w{500}` is about 500. */
export const RE2_MAX_PROGRAM_SIZE = 500;

/** Instructions of all the patterns of one condition together: compiling costs about 15 µs each. */
export const RE2_MAX_CONDITION_PROGRAM_SIZE = 2000;

/** Instructions compiled so far for the condition being compiled (compiling is synchronous). */
let compiling: { instructions: number } | null = null;

/** Runs `fn` (compiling one condition) counting the instructions of its patterns against RE2_MAX_CONDITION_PROGRAM_SIZE. */
export function compilingCondition<T>(fn: () => T): T {
  const outer = compiling;
  compiling = { instructions: 0 };
  try {
    return fn();
  } finally {
    compiling = outer;
  }
}

/** MongoDB `$options` flags RE2 has; `x` (extended) has no RE2 equivalent. `u` is a no-op: RE2 is Unicode. */
const FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0 };

/**
 * Compiles a `$regex` (with its `$options`) into a tester for sift; throws an Error whose message
 * states the rule when RE2 cannot run the pattern in bounded time.
 */
export function compileRegex(pattern: unknown, options: unknown): (value: unknown) => boolean {
  if (typeof pattern !== 'string') throw new Error('$regex must be a string');
  let flags = 0;
  if (options !== undefined) {
    if (typeof options !== 'string') throw new Error('$options must be a string of flags');
    for (const f of options) {
      if (!(f in FLAGS)) throw new Error(`$options "${f}" is not supported: use i, m, s`);
      flags |= FLAGS[f];
    }
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, flags);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^error parsing regexp: /, '');
    throw new Error(
      `$regex ${JSON.stringify(pattern)} is not supported: ${reason} (regular expressions run on RE2, in linear time: no backreferences or lookaround)`,
    );
  }
  const size = (re.re2().prog as { numInst(): number }).numInst();
  if (size > RE2_MAX_PROGRAM_SIZE) {
    throw new Error(
      `$regex ${JSON.stringify(pattern)} is too complex: ${size} instructions, the limit is ${RE2_MAX_PROGRAM_SIZE} (large counted repetitions such as {1000} cost the most)`,
    );
  }
  if (compiling) {
    compiling.instructions += size;
    if (compiling.instructions > RE2_MAX_CONDITION_PROGRAM_SIZE) {
      throw new Error(`its regular expressions are too complex together: more than ${RE2_MAX_CONDITION_PROGRAM_SIZE} instructions in all`);
    }
  }
  return (value) => {
    if (typeof value !== 'string') return false;
    chargeRegex((value.length + 1) * size);
    return re.test(value);
  };
}
