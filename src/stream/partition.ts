/**
 * Which log partition an event goes to: a hash of its first entity id (so one entity's events keep
 * their order), else of its own id. The count is fixed per account for now; changing it would move
 * entities between partitions, so it is a constant, not a setting.
 */
import { createHash } from 'node:crypto';

export const STREAM_PARTITIONS = 4;

export function partitionOf(entityIds: readonly string[], eventId: string, partitions = STREAM_PARTITIONS): number {
  const key = entityIds[0] ?? eventId;
  // The first 4 bytes of SHA-1: stable across processes and Node versions, unlike any in-memory hash.
  return createHash('sha1').update(key).digest().readUInt32BE(0) % partitions;
}
