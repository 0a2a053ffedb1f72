/**
 * Dotted paths into event data (`client.address.city`): object keys only, no array indexes, so a
 * change names one place in the data whatever its length. Reads and writes never throw: a path
 * through something that is not a plain object simply is not there (conversion runs at fan-out,
 * where an exception would fail a delivery that the producer's data cannot fix).
 */

/** Keys that would reach an object's prototype instead of its data: refused in every path. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

export const MAX_PATH_SEGMENTS = 32;
export const MAX_PATH_LENGTH = 512;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = Record<string, unknown>;

/** Why a path is unusable, or null when it is fine. */
export function pathProblem(path: string): string | null {
  if (typeof path !== 'string' || path.length === 0) return 'must be a non-empty dotted path';
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  const segments = path.split('.');
  if (segments.length > MAX_PATH_SEGMENTS) return `must have at most ${MAX_PATH_SEGMENTS} segments`;
  if (segments.some((s) => s === '')) return 'must not have an empty segment ("a..b", ".a" or "a.")';
  const bad = segments.find((s) => FORBIDDEN_SEGMENTS.has(s));
  if (bad) return `must not use the segment "${bad}"`;
  return null;
}

export function segmentsOf(path: string): string[] {
  return path.split('.');
}

function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object holding the path's last key, or null if the way there is not all plain objects. */
function parentOf(data: Obj, segments: string[], create: boolean): Obj | null {
  let node: Obj = data;
  for (const key of segments.slice(0, -1)) {
    if (FORBIDDEN_SEGMENTS.has(key)) return null;
    if (!Object.hasOwn(node, key)) {
      if (!create) return null;
      node[key] = {};
    }
    const next = node[key];
    if (!isPlainObject(next)) return null;
    node = next;
  }
  return node;
}

export function has(data: Obj, segments: string[]): boolean {
  const parent = parentOf(data, segments, false);
  return parent !== null && Object.hasOwn(parent, segments[segments.length - 1]);
}

export function get(data: Obj, segments: string[]): unknown {
  const parent = parentOf(data, segments, false);
  return parent === null ? undefined : parent[segments[segments.length - 1]];
}

/** True when set() would succeed: every existing step on the way is a plain object. */
export function canSet(data: Obj, segments: string[]): boolean {
  if (segments.some((s) => FORBIDDEN_SEGMENTS.has(s))) return false;
  let node: unknown = data;
  for (const key of segments.slice(0, -1)) {
    if (!isPlainObject(node)) return false;
    if (!Object.hasOwn(node, key)) return true;
    node = node[key];
  }
  return isPlainObject(node);
}

/** Sets the value, making missing parents; a no-op (false) when a parent is not a plain object. */
export function set(data: Obj, segments: string[], value: unknown): boolean {
  if (!canSet(data, segments)) return false;
  const parent = parentOf(data, segments, true)!;
  // defineProperty: a plain assignment of "__proto__" would change the prototype (refused anyway).
  Object.defineProperty(parent, segments[segments.length - 1], { value, enumerable: true, writable: true, configurable: true });
  return true;
}

/**
 * Deletes the field, and the parent objects this leaves empty (up to, not including, the data
 * itself): a nested field that was its parent's only content takes the parent with it, so a
 * rename of `a.b` to `c` gives `{"c": ...}`, not `{"a": {}, "c": ...}`, and converting back and
 * forth gives back what was posted.
 */
export function remove(data: Obj, segments: string[]): void {
  const parent = parentOf(data, segments, false);
  if (parent === null || !Object.hasOwn(parent, segments[segments.length - 1])) return;
  delete parent[segments[segments.length - 1]];
  if (segments.length > 1 && Object.keys(parent).length === 0) remove(data, segments.slice(0, -1));
}

/** True when one path is the other or lies inside it (`a` and `a.b`): two changes would touch the same data. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}
