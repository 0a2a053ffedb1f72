/**
 * Webhook conditions: MongoDB-style filters over the event `{type, data, entityIds}`, e.g.
 * `{"data.amount": {"$gte": 1000}}`, evaluated in memory with sift; `$regex` runs on RE2 under a
 * work budget (./regex.ts), so no condition can stall the event loop the API shares.
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
import { compileRegex, withRegexBudget } from './regex';

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
const OPERATIONS = { $all, $and, $elemMatch, $eq, $exists, $gt, $gte, $in, $lt, $lte, $mod, $ne, $nin, $nor, $not, $options, $or, $regex, $size, $type };

const SUBJECT_FIELDS = ['type', 'data', 'entityIds'];
const LOGICAL = new Set(['$and', '$or', '$nor']);

const PATH = 'condition';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Top-level fields must name part of the subject: anything else never exists, so never matches. */
function fieldIssues(query: Record<string, unknown>, path: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (LOGICAL.has(key)) {
      if (!Array.isArray(value)) {
        issues.push({ path: `${path}.${key}`, message: `${key} takes a list of conditions` });
        continue;
      }
      value.forEach((item, i) => {
        if (isPlainObject(item)) issues.push(...fieldIssues(item, `${path}.${key}.${i}`));
        else issues.push({ path: `${path}.${key}.${i}`, message: 'must be an object' });
      });
    } else if (!key.startsWith('$') && !SUBJECT_FIELDS.includes(key.split('.')[0])) {
      issues.push({ path, message: `unknown field "${key}": conditions apply to type, entityIds and data.<path>` });
    }
  }
  return issues;
}

/** null (always match) or a valid filter; an unknown operator such as `$foo` is rejected. */
export function validateCondition(condition: unknown): ValidationIssue[] {
  if (condition === null || condition === undefined) return [];
  if (!isPlainObject(condition)) return [{ path: PATH, message: 'must be an object or null' }];
  const issues = fieldIssues(condition, PATH);
  if (issues.length > 0) return issues;
  try {
    createQueryTester(condition, { operations: OPERATIONS });
  } catch (err) {
    // sift says "Unsupported operation: $foo"; compileRegex states which rule a $regex breaks.
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
    tester = createQueryTester(condition, { operations: OPERATIONS }) as Tester;
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
    return { matched: withRegexBudget(() => tester(subject)) };
  } catch (err) {
    return { matched: false, problem: err instanceof Error ? err.message : String(err) };
  }
}

/** A null (or empty) condition matches every event; one that cannot be evaluated matches none. */
export function matchesCondition(condition: Record<string, unknown> | null | undefined, subject: ConditionSubject): boolean {
  return evaluateCondition(condition, subject).matched;
}
