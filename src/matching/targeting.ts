/**
 * Which events a webhook receives, by the entities they concern and the webhook's per-entity
 * subscriptions (entityId → switched on or off).
 */
export type Targeting = 'opt-in' | 'opt-out';

/**
 * opt-in: fires when at least one of the event's entities is switched on (none: no delivery).
 * opt-out: fires unless one of the event's entities is switched off (no subscriptions: delivery).
 */
export function isTargeted(targeting: Targeting, entityIds: readonly string[], subscriptions: ReadonlyMap<string, boolean>): boolean {
  if (targeting === 'opt-in') return entityIds.some((id) => subscriptions.get(id) === true);
  return !entityIds.some((id) => subscriptions.get(id) === false);
}
