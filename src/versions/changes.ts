/**
 * A version's changes say how its `data` differs from the previous version's. Each kind applies
 * forward (previous → this version) and backward (this → previous):
 *
 * | op     | forward                          | backward                          |
 * |--------|----------------------------------|-----------------------------------|
 * | rename | move `from` to `to`              | move `to` back to `from`          |
 * | add    | set `path` to `default` if absent| delete `path`                     |
 * | remove | delete `path`                    | set `path` to `default` if absent |
 *
 * Changes apply in list order forward and in reverse order backward, mutating the data they are
 * given (convert.ts hands them a private copy). They never throw: what could not apply was refused
 * when the version was saved (validate-changes.ts), and a producer's data that lacks a field or
 * has a non-object where an object was expected is left as it is.
 */
import { canSet, get, has, remove, segmentsOf, set } from './paths';

export type Change =
  | { op: 'rename'; from: string; to: string }
  | { op: 'add'; path: string; default: unknown }
  | { op: 'remove'; path: string; default: unknown };

type Data = Record<string, unknown>;

function move(data: Data, from: string, to: string): void {
  const f = segmentsOf(from);
  const t = segmentsOf(to);
  if (!has(data, f) || !canSet(data, t)) return;
  const value = get(data, f);
  remove(data, f);
  set(data, t, value);
}

function setDefault(data: Data, path: string, value: unknown): void {
  const p = segmentsOf(path);
  // A copy per use: two notifications must never share (and so never alter) one default object.
  if (!has(data, p)) set(data, p, value === undefined ? null : structuredClone(value));
}

export function applyForward(data: Data, changes: readonly Change[]): Data {
  for (const c of changes) {
    if (c.op === 'rename') move(data, c.from, c.to);
    else if (c.op === 'add') setDefault(data, c.path, c.default);
    else remove(data, segmentsOf(c.path));
  }
  return data;
}

export function applyBackward(data: Data, changes: readonly Change[]): Data {
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i];
    if (c.op === 'rename') move(data, c.to, c.from);
    else if (c.op === 'add') remove(data, segmentsOf(c.path));
    else setDefault(data, c.path, c.default);
  }
  return data;
}
