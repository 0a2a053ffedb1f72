/**
 * `$regex` in webhook conditions, run by RE2 (the pure-JavaScript port, re2js) instead of the
 * backtracking RegExp: `(a+)+$` against "a"×50+"b" takes microseconds instead of hours. A
 * condition comes from an API caller and is matched on the event loop that also serves the API,
 * so matching must be bounded:
 * - RE2 matches in time linear in the input: no backreferences, no lookaround (refused when saved);
 * - the compiled program is capped (RE2_MAX_PROGRAM_SIZE), since the cost is input × program
 *   (`[a-z]{1000}` ×20 is linear and still takes seconds);
 * - a work budget per condition evaluation (REGEX_WORK_BUDGET) stops the rest: past it the
 *   condition counts as not matching (see evaluateCondition).
 */
import { RE2JS } from 're2js';

/** Instructions of a compiled pattern; `\w{500}` is about 500. */
export const RE2_MAX_PROGRAM_SIZE = 500;

/**
 * Input characters × program instructions one condition evaluation may spend on regexes: 25 M,
 * about 100 ms in the worst case measured on the project machine (most patterns run far faster,
 * on RE2's DFA or a literal prefix). A 20-instruction pattern covers a 1 MiB string.
 */
export const REGEX_WORK_BUDGET = 25_000_000;

/** MongoDB `$options` flags RE2 has; `x` (extended) has no RE2 equivalent. `u` is a no-op: RE2 is Unicode. */
const FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0 };

export class ConditionBudgetError extends Error {
  override readonly name = 'ConditionBudgetError';
  constructor(readonly budget: number) {
    super(`matching its regular expressions needs more than the work budget of ${budget} (input characters × pattern size)`);
  }
}

/** The budget of the evaluation in progress; evaluations are synchronous, so one slot is enough. */
let active: { left: number; budget: number } | null = null;

/** Runs `fn` (a synchronous condition evaluation) under a fresh regex work budget. */
export function withRegexBudget<T>(fn: () => T, budget = REGEX_WORK_BUDGET): T {
  const outer = active;
  active = { left: budget, budget };
  try {
    return fn();
  } finally {
    active = outer;
  }
}

function charge(cost: number): void {
  if (!active) return;
  active.left -= cost;
  if (active.left < 0) throw new ConditionBudgetError(active.budget);
}

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
  return (value) => {
    if (typeof value !== 'string') return false;
    charge((value.length + 1) * size);
    return re.test(value);
  };
}
