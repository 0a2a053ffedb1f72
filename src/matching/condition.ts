/**
 * Webhook conditions: MongoDB-style filters over the event `{type, data, entityIds}`, e.g.
 * `{"data.amount": {"$gte": 1000}}`, evaluated in memory with sift; `$regex` runs on RE2 (./regex.ts)
 * and every evaluation has a budget (./budget.ts), so no condition can stall the event loop the API shares.
 */
import {
  $all,
  $and,
  $elemMatch,
  $eq,
  $exists,
  $gt,
  $gte,
  $in,
  $lt,
  $lte,
  $mod,
  $ne,
  $nin,
  $nor,
  $not,
  $options,
  $or,
  $size,
  $type,
  createEqualsOperation,
  createQueryTester,
} from 'sift';
import type { ValidationIssue } from '../errors';
import type { OperationCreator } from 'sift/lib/core';
import { chargeSteps, withMatchBudget } from './budget';
import { compileRegex, compilingCondition } from './regex';

export interface ConditionSubject {
  type: string;
  data: Record<string, unknown>;
  entityIds: readonly string[];
}

// sift's defaults minus $where, which runs a string as JavaScript (new Function): a condition
// comes from an API caller and must never become code on the worker. `$regex` is ours: RE2, not
// the backtracking RegExp (sift's own), whose `(a+)+$` can block the process for hours.
const $regex = (pattern: unknown, ownerQuery: Record<string, unknown>, options: Parameters<typeof createEqualsOperation>[2]) =>
  createEqualsOperation(compileRegex(pattern, ownerQuery.$options), ownerQuery, options);

/**
 * Every operator counts its steps against the evaluation's time budget (./budget.ts): an `$in`
 * of thousands of values against an array of thousands of elements is polynomial, not linear, and
 * must not hold the event loop either. A list operator costs one step per value it compares.
 */
function budgeted(create: OperationCreator<unknown>): OperationCreator<unknown> {
  return (params, ownerQuery, options, name) => {
    const op = create(params, ownerQuery, options, name);
    if (!op) return op; // $options is only a flag of $regex
    const units = Array.isArray(params) ? Math.max(1, params.length) : 1;
    const next = op.next.bind(op);
    op.next = (...args) => {
      chargeSteps(units);
      return next(...args);
    };
    return op;
  };
}

const OPERATIONS = Object.fromEntries(
  Object.entries({ $all, $and, $elemMatch, $eq, $exists, $gt, $gte, $in, $lt, $lte, $mod, $ne, $nin, $nor, $not, $options, $or, $regex, $size, $type }).map(
    ([name, create]) => [name, budgeted(create as OperationCreator<unknown>)],
  ),
);

const SUBJECT_FIELDS = ['type', 'data', 'entityIds'];
const LOGICAL = new Set(['$and', '$or', '$nor']);

const PATH = 'condition';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether sift accepts this one piece of a condition; the reason when it does not. */
function siftProblem(piece: Record<string, unknown>): string | null {
  try {
    createQueryTester(piece, { operations: OPERATIONS });
    return null;
  } catch (err) {
    // sift says "Unsupported operation: $foo", or the RegExp error for a bad $regex.
    return err instanceof Error ? err.message : String(err);
  }
}

function invalid(path: string, field: string, reason: string): ValidationIssue {
  return { path, message: `is not a valid condition at "${field}": ${reason}` };
}

/**
 * Every problem of a query object, not just the first: each field's operators are checked one by
 * one (sift stops at the first bad one), logical operators and $elemMatch recursively.
 * `anyField`: inside $elemMatch the fields are the element's own, not the event's.
 */
function queryIssues(query: Record<string, unknown>, path: string, anyField: boolean): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (LOGICAL.has(key)) {
      if (!Array.isArray(value)) {
        issues.push({ path: `${path}.${key}`, message: `${key} takes a list of conditions` });
        continue;
      }
      value.forEach((item, i) => {
        if (isPlainObject(item)) issues.push(...queryIssues(item, `${path}.${key}.${i}`, anyField));
        else issues.push({ path: `${path}.${key}.${i}`, message: 'must be an object' });
      });
    } else if (key.startsWith('$')) {
      // A top-level operator other than $and/$or/$nor ($where, $foo): sift names it.
      const problem = siftProblem({ [key]: value });
      if (problem) issues.push(invalid(path, key, problem));
    } else {
      if (!anyField && !SUBJECT_FIELDS.includes(key.split('.')[0])) {
        issues.push({ path, message: `unknown field "${key}": conditions apply to type, entityIds and data.<path>` });
      }
      issues.push(...valueIssues(key, value, path));
    }
  }
  return issues;
}

/**
 * Largest condition, as JSON text. Compiling costs about 30 µs per `$in` value, so a 1 MiB
 * condition (100,000 values) took seconds, on save and again at its first match in each process.
 */
export const MAX_CONDITION_CHARS = 16 * 1024;

function sizeProblem(json: string): string | null {
  return json.length > MAX_CONDITION_CHARS ? `must be at most ${MAX_CONDITION_CHARS} characters as JSON (it has ${json.length})` : null;
}

/** sift over our operators; the patterns of one condition are bounded together (see regex.ts). */
function buildTester(condition: Record<string, unknown>): Tester {
  return compilingCondition(() => createQueryTester(condition, { operations: OPERATIONS }) as Tester);
}

/** The operators applied to one field (`{"$gte": 1, "$lt": 9}`), each checked on its own. */
function valueIssues(field: string, value: unknown, path: string): ValidationIssue[] {
  if (!isPlainObject(value) || !Object.keys(value).some((k) => k.startsWith('$'))) {
    const problem = siftProblem({ [field]: value });
    return problem ? [invalid(path, field, problem)] : [];
  }
  const issues: ValidationIssue[] = [];
  for (const [op, arg] of Object.entries(value)) {
    if (op === '$options') continue; // checked with its $regex
    if (op === '$elemMatch' && isPlainObject(arg)) {
      const operatorsOnly = Object.keys(arg).length > 0 && Object.keys(arg).every((k) => k.startsWith('$') && !LOGICAL.has(k));
      issues.push(...(operatorsOnly ? valueIssues(`${field}.$elemMatch`, arg, path) : queryIssues(arg, path, true)));
      continue;
    }
    if (op === '$not' && isPlainObject(arg)) {
      issues.push(...valueIssues(`${field}.$not`, arg, path));
      continue;
    }
    const piece = op === '$regex' && '$options' in value ? { $regex: arg, $options: value.$options } : { [op]: arg };
    const problem = siftProblem({ x: piece });
    if (problem) issues.push(invalid(path, field, problem));
  }
  return issues;
}

/** null (always match) or a valid filter; every problem is reported, each with where it is. */
export function validateCondition(condition: unknown): ValidationIssue[] {
  if (condition === null || condition === undefined) return [];
  if (!isPlainObject(condition)) return [{ path: PATH, message: 'must be an object or null' }];
  const tooBig = sizeProblem(JSON.stringify(condition));
  if (tooBig) return [{ path: PATH, message: tooBig }];
  const issues = queryIssues(condition, PATH, false);
  if (issues.length > 0) return issues;
  // Whatever the piecewise check could miss (an interaction of operators, the patterns' combined size).
  try {
    buildTester(condition);
  } catch (err) {
    return [{ path: PATH, message: `is not a valid condition: ${err instanceof Error ? err.message : String(err)}` }];
  }
  return [];
}

type Tester = (subject: ConditionSubject) => boolean;

const CACHE_LIMIT = 1000;
const cache = new Map<string, Tester>();

/** Compiles once per distinct condition (least recently used dropped first). Throws on an invalid one. */
export function compileCondition(condition: Record<string, unknown>): Tester {
  const key = JSON.stringify(condition);
  let tester = cache.get(key);
  if (tester) {
    cache.delete(key);
  } else {
    // Checked here too: a condition saved before the limit existed must not cost seconds to compile.
    const tooBig = sizeProblem(key);
    if (tooBig) throw new Error(`the condition ${tooBig}`);
    tester = buildTester(condition);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  }
  cache.set(key, tester);
  return tester;
}

export interface ConditionResult {
  matched: boolean;
  /** Why the condition could not be evaluated (it then counts as not matching). */
  problem?: string;
}

/**
 * Evaluates a condition under the regex work budget. A condition that cannot be evaluated — one
 * saved before a rule existed (a `$regex` RE2 refuses), or one over the budget for this event —
 * does not match: that event creates no notification for the webhook, and nothing throws, so the
 * event itself is still accepted and dispatched to every other webhook.
 */
export function evaluateCondition(condition: Record<string, unknown> | null | undefined, subject: ConditionSubject): ConditionResult {
  if (condition === null || condition === undefined) return { matched: true };
  try {
    const tester = compileCondition(condition);
    return { matched: withMatchBudget(() => tester(subject)) };
  } catch (err) {
    return { matched: false, problem: err instanceof Error ? err.message : String(err) };
  }
}

/** A null (or empty) condition matches every event; one that cannot be evaluated matches none. */
export function matchesCondition(condition: Record<string, unknown> | null | undefined, subject: ConditionSubject): boolean {
  return evaluateCondition(condition, subject).matched;
}
