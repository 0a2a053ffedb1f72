/**
 * JSON Schemas of event data (draft 2020-12, Ajv), compiled once and cached by their text, so
 * checking a posted event costs one cached validator call.
 *
 * - One Ajv instance per schema: schemas of different accounts may use the same `$id`, and a
 *   shared instance would refuse (or worse, resolve `$ref`s across) them.
 * - Strict about the schema (an unknown keyword such as `requird` is refused at save, not
 *   silently ignored); `format` is an annotation only (no format plugin is a dependency).
 * - `pattern` runs on RE2 (linear time), as condition regexes do (src/matching/regex.ts): a
 *   schema comes from an API caller and runs on the event loop that serves the API.
 * - No remote `$ref`: Ajv never fetches, so an unresolvable reference is refused at save.
 */
import { createHash } from 'node:crypto';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { RE2JS } from 're2js';
import type { ValidationIssue } from '../errors';
import { RE2_MAX_PROGRAM_SIZE } from '../matching/regex';

export const MAX_CACHED_SCHEMAS = 500;
const MAX_ISSUES = 50;
const ROOT_ID = 'herald:event-data';

export interface CompiledSchema {
  validate: ValidateFunction;
  /** A validator for the subschema at a JSON pointer (`/properties/a`), or null when there is none. */
  at(pointer: string): ValidateFunction | null;
}

/** Ajv's regExp engine: RE2, with the program size capped as for condition regexes. Ajv passes "u"; RE2 is Unicode anyway. */
function re2(pattern: string) {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^error parsing regexp: /, '');
    throw new Error(`pattern ${JSON.stringify(pattern)} is not supported: ${reason} (patterns run on RE2, in linear time: no backreferences or lookaround)`);
  }
  const size = (re.re2().prog as { numInst(): number }).numInst();
  if (size > RE2_MAX_PROGRAM_SIZE) throw new Error(`pattern ${JSON.stringify(pattern)} is too complex: ${size} instructions, the limit is ${RE2_MAX_PROGRAM_SIZE}`);
  // toString: Ajv keys its compiled patterns by it; distinct patterns must not share one.
  return { test: (s: string) => re.matcher(s).find(), toString: () => `re2:${pattern}` };
}
re2.code = 'herald-re2';

function newAjv() {
  return new Ajv2020({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    validateFormats: false,
    code: { regExp: re2 as never },
  });
}

const cache = new Map<string, CompiledSchema>();

/** Compiles (or returns the cached) schema; throws an Error saying why a schema is unusable. */
export function compileSchema(schema: unknown): CompiledSchema {
  const text = JSON.stringify(schema);
  const key = createHash('sha256').update(text).digest('base64url');
  const hit = cache.get(key);
  if (hit) {
    // Least recently used goes first: re-insert on use.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw new Error('must be a JSON Schema object');
  const root = { ...(schema as Record<string, unknown>) };
  if (typeof root.$id !== 'string') root.$id = ROOT_ID;
  const ajv = newAjv();
  const validate = ajv.compile(root);
  const compiled: CompiledSchema = {
    validate,
    at(pointer) {
      try {
        return ajv.getSchema(`${root.$id as string}#${pointer}`) ?? null;
      } catch {
        return null;
      }
    },
  };
  cache.set(key, compiled);
  if (cache.size > MAX_CACHED_SCHEMAS) cache.delete(cache.keys().next().value as string);
  return compiled;
}

/** How many schemas are compiled and kept (for tests and metrics). */
export function cachedSchemaCount(): number {
  return cache.size;
}

/** `data` against a compiled schema: every problem as a `details` entry under `prefix` (`data`). */
export function schemaIssues(compiled: CompiledSchema, data: unknown, prefix = 'data'): ValidationIssue[] {
  if (compiled.validate(data)) return [];
  return (compiled.validate.errors ?? []).slice(0, MAX_ISSUES).map((e) => issueOf(e, prefix));
}

function issueOf(e: ErrorObject, prefix: string): ValidationIssue {
  const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = e.params as { missingProperty?: string; additionalProperty?: string };
  if (e.keyword === 'required' && params.missingProperty) return { path: [prefix, ...segments, params.missingProperty].join('.'), message: 'is required' };
  if (e.keyword === 'additionalProperties' && params.additionalProperty) {
    return { path: [prefix, ...segments, params.additionalProperty].join('.'), message: 'is not allowed by the schema' };
  }
  return { path: [prefix, ...segments].join('.'), message: e.message ?? 'is not valid' };
}
