/**
 * How a subscription's partitions are shared among its live streams: a pure function of the
 * partition count and the streams ordered by when they joined, so every API process computes the
 * same answer from the sessions in MongoDB without talking to the others. Partition p goes to
 * stream p mod n: a join or a leave moves as few partitions as this simple rule allows.
 */
export interface LiveStream {
  id: string;
  joinedAt: Date;
  /** The partitions it said at its last heartbeat it reads. */
  reading?: number[];
}

export function orderStreams<T extends LiveStream>(streams: readonly T[]): T[] {
  return [...streams].sort((a, b) => a.joinedAt.getTime() - b.joinedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The partitions of `streamId`; empty if it is not among the first `partitions` streams. */
export function partitionsOf(streamId: string, streams: readonly LiveStream[], partitions: number): number[] {
  const ordered = orderStreams(streams).slice(0, partitions);
  const index = ordered.findIndex((s) => s.id === streamId);
  if (index < 0) return [];
  const mine: number[] = [];
  for (let p = 0; p < partitions; p++) if (p % ordered.length === index) mine.push(p);
  return mine;
}
