/**
 * Converts an event's data from the version it was posted in to the version a receiver gets,
 * through the chain of changes between them: up (older → newer) applying each later version's
 * changes forward, down applying them backward, newest first. Pure and total: it is called at
 * fan-out for each (event, target version), never per attempt, and must not fail a delivery.
 */
import { applyBackward, applyForward, type Change } from './changes';
import { compareVersions } from './semver-order';

export interface ChainLink {
  version: string;
  /** How this version's data differs from the previous version's (empty for the first). */
  changes: readonly Change[];
}

/**
 * `chain` is the type's versions oldest first. Returns a new object; `data` is not touched.
 * A `from` or `to` missing from the chain converts nothing (cannot happen for versions Herald
 * resolved itself; kept total all the same).
 */
export function convertData(data: Record<string, unknown>, chain: readonly ChainLink[], from: string, to: string): Record<string, unknown> {
  const out = structuredClone(data);
  const cmp = compareVersions(from, to);
  if (cmp === 0) return out;
  const fromAt = chain.findIndex((l) => l.version === from);
  const toAt = chain.findIndex((l) => l.version === to);
  if (fromAt < 0 || toAt < 0) return out;
  if (cmp < 0) {
    for (let i = fromAt + 1; i <= toAt; i++) applyForward(out, chain[i].changes);
  } else {
    for (let i = fromAt; i > toAt; i--) applyBackward(out, chain[i].changes);
  }
  return out;
}
