/**
 * The budget of one condition evaluation (one webhook's condition against one event). Conditions
 * come from API callers and run on the event loop that also serves the API, so each evaluation is
 * bounded twice: regex work is counted exactly (input characters × pattern size, deterministic),
 * and everything else — sift walking the event, `$in` lists against long arrays — against a wall
 * clock, checked every few thousand steps. Over either, the evaluation stops with
 * ConditionBudgetError and the condition counts as not matching (see evaluateCondition).
 */

/**
 * Input characters × program instructions one evaluation may spend on regexes: 25 M, about 100 ms
 * in the worst case measured on the project machine (most patterns run far faster, on RE2's DFA or
 * a literal prefix). A 20-instruction pattern covers a 1 MiB string.
 */
export const REGEX_WORK_BUDGET = 25_000_000;

/** Wall-clock time one evaluation may take. Ordinary conditions take microseconds. */
export const MATCH_TIME_BUDGET_MS = 100;

/** Steps (operator calls, `$in` comparisons) between two looks at the clock. */
const STEPS_PER_CLOCK_CHECK = 4096;

export class ConditionBudgetError extends Error {
  override readonly name = 'ConditionBudgetError';
}

interface Budget {
  regexLeft: number;
  regexWork: number;
  timeMs: number;
  deadline: number;
  steps: number;
  nextCheck: number;
}

/** The evaluation in progress; evaluations are synchronous, so one slot is enough. */
let active: Budget | null = null;

/** Runs `fn` (one synchronous condition evaluation) under a fresh budget. */
export function withMatchBudget<T>(fn: () => T, limits: { regexWork?: number; timeMs?: number } = {}): T {
  const outer = active;
  const regexWork = limits.regexWork ?? REGEX_WORK_BUDGET;
  const timeMs = limits.timeMs ?? MATCH_TIME_BUDGET_MS;
  active = { regexLeft: regexWork, regexWork, timeMs, deadline: performance.now() + timeMs, steps: 0, nextCheck: STEPS_PER_CLOCK_CHECK };
  try {
    return fn();
  } finally {
    active = outer;
  }
}

/** Counts regex work before a match runs, so a match over the budget never starts. */
export function chargeRegex(cost: number): void {
  if (!active) return;
  active.regexLeft -= cost;
  if (active.regexLeft < 0) {
    throw new ConditionBudgetError(
      `matching its regular expressions needs more than the work budget of ${active.regexWork} (input characters × pattern size)`,
    );
  }
  chargeSteps(1);
}

/** Counts `units` steps of evaluation, and looks at the clock every STEPS_PER_CLOCK_CHECK of them. */
export function chargeSteps(units: number): void {
  if (!active) return;
  active.steps += units;
  if (active.steps < active.nextCheck) return;
  active.nextCheck = active.steps + STEPS_PER_CLOCK_CHECK;
  if (performance.now() > active.deadline) {
    throw new ConditionBudgetError(`evaluating it takes more than the time budget of ${active.timeMs} ms`);
  }
}
