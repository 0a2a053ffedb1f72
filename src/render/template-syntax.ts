/**
 * Names shared by the template check (which splices them into the parsed template) and the
 * template engine (which registers and compiles them): Herald's own helpers, the helpers user
 * templates may call, and the comment that separates closing braces.
 */

export const OUT = '__heraldOut';
export const PROBE = '__heraldProbe';

export const BLOCK_HELPERS: ReadonlySet<string> = new Set(['if', 'unless', 'each', 'with']);
/** Inline helpers and how many arguments each takes. */
export const INLINE_HELPERS: ReadonlyMap<string, number> = new Map([
  ['json', 1],
  ['lookup', 2],
]);
export const HELPER_LIST = 'json, lookup, #if, #unless, #each, #with';

export const SEPARATOR = '{{!}}';
