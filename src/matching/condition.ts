/**
 * Webhook conditions: MongoDB-style filters over the event `{type, data, entityIds}`, e.g.
 * `{"data.amount": {"$gte": 1000}}`, evaluated in memory with sift.
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
  $regex,
  $size,
  $type,
  createQueryTester,
} from 'sift';
import type { ValidationIssue } from '../errors';

export interface ConditionSubject {
  type: string;
  data: Record<string, unknown>;
  entityIds: readonly string[];
}

// sift's defaults minus $where, which runs a string as JavaScript (new Function): a condition
// comes from an API caller and must never become code on the worker.
const OPERATIONS = { $all, $and, $elemMatch, $eq, $exists, $gt, $gte, $in, $lt, $lte, $mod, $ne, $nin, $nor, $not, $options, $or, $regex, $size, $type };

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
  const issues = queryIssues(condition, PATH, false);
  if (issues.length > 0) return issues;
  // Whatever the piecewise check could miss (an interaction of operators): sift on the whole.
  const problem = siftProblem(condition);
  return problem ? [{ path: PATH, message: `is not a valid condition: ${problem}` }] : [];
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
    tester = createQueryTester(condition, { operations: OPERATIONS }) as Tester;
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  }
  cache.set(key, tester);
  return tester;
}

/** A null (or empty) condition matches every event. */
export function matchesCondition(condition: Record<string, unknown> | null | undefined, subject: ConditionSubject): boolean {
  if (condition === null || condition === undefined) return true;
  return compileCondition(condition)(subject);
}
