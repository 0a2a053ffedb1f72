/**
 * What is checked when a version is saved, so that nothing can fail when it is used: the schema
 * compiles, the body is within size and depth limits, and every change can apply — its paths are
 * well formed, no two changes touch the same data, and, where the schemas declare the fields, a
 * rename moves a field of the previous version's schema to one of this version's, an add names a
 * field new in this version and a remove one gone from it, each `default` valid where it lands.
 * Fields a schema does not declare (an object without `properties`) cannot be checked and are
 * allowed: the schema is optional.
 */
import type { ValidationIssue } from '../errors';
import type { Change } from './changes';
import { overlaps, pathProblem, segmentsOf } from './paths';
import { compileSchema, type CompiledSchema } from './schema-cache';

/** A version's schema and changes together, as JSON text. */
export const MAX_VERSION_BYTES = 64 * 1024;
/** Nesting of a schema or a default value. */
export const MAX_VERSION_DEPTH = 32;
export const MAX_CHANGES = 100;

export interface VersionInput {
  schema?: unknown;
  changes: readonly Change[];
}

/** The previous version in the chain, if any, as the changes are checked against it. */
export interface PreviousVersion {
  version: string;
  schema?: unknown;
}

export function depthOf(value: unknown, depth = 0): number {
  if (typeof value !== 'object' || value === null) return depth;
  let max = depth + 1;
  for (const v of Object.values(value)) {
    max = Math.max(max, depthOf(v, depth + 1));
    if (max > MAX_VERSION_DEPTH + 1) break;
  }
  return max;
}

type Presence = 'declared' | 'undeclared' | 'unknown';

/** Where a dotted path stands in a schema: declared under `properties`, not declared, or not knowable. */
export function schemaPointer(schema: unknown, path: string): { presence: Presence; pointer: string } {
  let node = schema as Record<string, unknown> | undefined;
  let pointer = '';
  for (const key of segmentsOf(path)) {
    node = resolveRef(schema, node);
    const props = node && typeof node.properties === 'object' && node.properties !== null ? (node.properties as Record<string, unknown>) : null;
    if (!props) return { presence: 'unknown', pointer };
    if (!Object.hasOwn(props, key)) return { presence: 'undeclared', pointer };
    pointer += `/properties/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    node = props[key] as Record<string, unknown>;
  }
  return { presence: 'declared', pointer };
}

/** Follows a local `$ref` (`#/$defs/x`) a few times; anything else is left as it is. */
function resolveRef(root: unknown, node: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  for (let i = 0; i < 8 && node && typeof node.$ref === 'string' && node.$ref.startsWith('#/'); i++) {
    let target: unknown = root;
    for (const raw of node.$ref.slice(2).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      target = typeof target === 'object' && target !== null ? (target as Record<string, unknown>)[key] : undefined;
    }
    node = target as Record<string, unknown> | undefined;
  }
  return node;
}

/**
 * Every problem with a version about to be saved; empty when it can be saved. `previous` is the
 * version before it in the chain (undefined for the first one).
 */
export function versionIssues(input: VersionInput, previous: PreviousVersion | undefined): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const bytes = Buffer.byteLength(JSON.stringify({ schema: input.schema ?? null, changes: input.changes }));
  if (bytes > MAX_VERSION_BYTES) return [{ path: '', message: `schema and changes are ${bytes} bytes together, more than the limit of ${MAX_VERSION_BYTES}` }];

  let compiled: CompiledSchema | null = null;
  if (input.schema !== undefined && input.schema !== null) {
    if (depthOf(input.schema) > MAX_VERSION_DEPTH) issues.push({ path: 'schema', message: `is nested more than ${MAX_VERSION_DEPTH} levels deep` });
    else {
      try {
        compiled = compileSchema(input.schema);
      } catch (err) {
        issues.push({ path: 'schema', message: `is not a usable JSON Schema (draft 2020-12): ${(err as Error).message}` });
      }
    }
  }
  if (input.changes.length > MAX_CHANGES) issues.push({ path: 'changes', message: `must list at most ${MAX_CHANGES} changes` });
  if (input.changes.length > 0 && !previous) {
    issues.push({ path: 'changes', message: 'the first version of a type has no previous version to change from: give no changes' });
    return issues;
  }
  let previousCompiled: CompiledSchema | null = null;
  if (previous?.schema !== undefined && previous.schema !== null) {
    try {
      previousCompiled = compileSchema(previous.schema);
    } catch {
      // saved before a rule existed: its fields are then not checked
    }
  }
  const touched: Array<{ path: string; at: number }> = [];
  input.changes.forEach((c, i) => {
    const at = `changes.${i}`;
    const paths = c.op === 'rename' ? [['from', c.from], ['to', c.to]] : [['path', c.path]];
    let wellFormed = true;
    for (const [field, p] of paths) {
      const problem = pathProblem(p);
      if (problem) {
        issues.push({ path: `${at}.${field}`, message: problem });
        wellFormed = false;
      }
    }
    if (!wellFormed) return;
    if (c.op !== 'rename' && depthOf(c.default) > MAX_VERSION_DEPTH) issues.push({ path: `${at}.default`, message: `is nested more than ${MAX_VERSION_DEPTH} levels deep` });
    if (c.op === 'rename' && overlaps(c.from, c.to)) {
      issues.push({ path: `${at}.to`, message: c.from === c.to ? 'must differ from "from"' : 'must not be or lie inside "from" (nor "from" inside it)' });
      return;
    }
    for (const [field, p] of paths) {
      const clash = touched.find((t) => overlaps(t.path, p));
      if (clash) issues.push({ path: `${at}.${field}`, message: `"${p}" touches the same data as "${clash.path}" (changes.${clash.at}): each field may change once per version` });
      touched.push({ path: p, at: i });
    }
    const prevSchema = previous?.schema ?? undefined;
    const prevName = previous ? `${previous.version}'s schema` : '';
    issues.push(...changeAgainstSchemas(c, at, prevSchema, prevName, previousCompiled, input.schema, compiled));
  });
  return issues;
}

function changeAgainstSchemas(
  c: Change,
  at: string,
  prevSchema: unknown,
  prevName: string,
  prevCompiled: CompiledSchema | null,
  schema: unknown,
  compiled: CompiledSchema | null,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const inPrev = (p: string) => (prevSchema === undefined || prevSchema === null ? { presence: 'unknown' as Presence, pointer: '' } : schemaPointer(prevSchema, p));
  const inThis = (p: string) => (schema === undefined || schema === null ? { presence: 'unknown' as Presence, pointer: '' } : schemaPointer(schema, p));
  const checkDefault = (target: CompiledSchema | null, pointer: string, where: string) => {
    const validate = target?.at(pointer);
    if (validate && !validate((c as { default: unknown }).default)) {
      const why = validate.errors?.[0];
      issues.push({ path: `${at}.default`, message: `is not valid for ${where}: ${why ? `${why.instancePath || 'value'} ${why.message}` : 'invalid'}` });
    }
  };
  if (c.op === 'rename') {
    if (inPrev(c.from).presence === 'undeclared') issues.push({ path: `${at}.from`, message: `"${c.from}" is not a field of ${prevName}: nothing to rename` });
    if (inThis(c.to).presence === 'undeclared') issues.push({ path: `${at}.to`, message: `"${c.to}" is not a field of this version's schema` });
    if (inThis(c.from).presence === 'declared') issues.push({ path: `${at}.from`, message: `"${c.from}" is still a field of this version's schema: a rename moves it away` });
    if (inPrev(c.to).presence === 'declared') issues.push({ path: `${at}.to`, message: `"${c.to}" is already a field of ${prevName}: the rename would overwrite it` });
  } else if (c.op === 'add') {
    const here = inThis(c.path);
    if (here.presence === 'undeclared') issues.push({ path: `${at}.path`, message: `"${c.path}" is not a field of this version's schema` });
    if (inPrev(c.path).presence === 'declared') issues.push({ path: `${at}.path`, message: `"${c.path}" is already a field of ${prevName}: it is not new in this version` });
    if (here.presence === 'declared') checkDefault(compiled, here.pointer, `"${c.path}" in this version's schema`);
  } else {
    const there = inPrev(c.path);
    if (there.presence === 'undeclared') issues.push({ path: `${at}.path`, message: `"${c.path}" is not a field of ${prevName}: nothing to remove` });
    if (inThis(c.path).presence === 'declared') issues.push({ path: `${at}.path`, message: `"${c.path}" is still a field of this version's schema: it is not removed` });
    if (there.presence === 'declared') checkDefault(prevCompiled, there.pointer, `"${c.path}" in ${prevName}`);
  }
  return issues;
}
