/**
 * Which event types a webhook's `eventTypes` list matches. An entry is either an exact type or
 * `"*"`, the wildcard (Herald has no other pattern: no prefixes, no globs).
 *
 * The `herald.` namespace is reserved for Herald's own operational events
 * (src/operational-events.ts): `"*"` never matches it, so an operator opts in to each one by name.
 * A catch-all webhook (a CRM mirror, an archive) must not start receiving alerts about failing
 * endpoints, and an operational webhook cannot feed operational events back to itself through `*`.
 */
export const WILDCARD = '*';

export const RESERVED_TYPE_PREFIX = 'herald.';

/** The type is in Herald's reserved namespace (case-insensitive, so `Herald.x` cannot slip past). */
export function isReservedEventType(type: string): boolean {
  return type.toLowerCase().startsWith(RESERVED_TYPE_PREFIX);
}

/** A subscription list matches a type: by exact name, or by `"*"` for any type outside `herald.`. */
export function matchesEventType(eventTypes: readonly string[], type: string): boolean {
  if (eventTypes.includes(type)) return true;
  return eventTypes.includes(WILDCARD) && !isReservedEventType(type);
}

/** The 400 message for an event type a client may not send. */
export const RESERVED_TYPE_MESSAGE = `must not start with "${RESERVED_TYPE_PREFIX}": that namespace is reserved for Herald's operational events`;
