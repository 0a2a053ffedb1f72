/**
 * Event-type versions are `MAJOR.MINOR.PATCH` (no pre-release or build tags: a chain of changes
 * needs one total order everybody agrees on), ordered as semver.
 */
import semver from 'semver';

const VERSION = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/;

export function isEventTypeVersion(v: unknown): v is string {
  return typeof v === 'string' && VERSION.test(v);
}

export function compareVersions(a: string, b: string): number {
  return semver.compare(a, b);
}

/** Oldest first. */
export function sortVersions<T extends { version: string }>(items: readonly T[]): T[] {
  return [...items].sort((x, y) => compareVersions(x.version, y.version));
}

/** A version to convert to: the newest one, or the newest not after a pin (any valid semver). */
export type Target = 'latest' | string;

/**
 * The version of a chain (oldest first, non-empty) a receiver at `target` gets: the newest not
 * after the pin; a type whose first version is newer than the pin, at its first version (it did
 * not exist at the pin, so its first shape is the one that cannot have changed under the receiver).
 */
export function resolveTarget(versions: readonly string[], target: Target): string {
  if (target === 'latest' || !semver.valid(target)) return versions[versions.length - 1];
  let chosen = versions[0];
  for (const v of versions) if (semver.lte(v, target)) chosen = v;
  return chosen;
}

/** The newest of some versions, or null for none. */
export function newestOf(versions: readonly string[]): string | null {
  const valid = versions.filter((v) => semver.valid(v));
  return valid.length ? valid.reduce((a, b) => (semver.gt(b, a) ? b : a)) : null;
}
