/**
 * The stream log: every accepted event of an account, in partitions, each partition ordered by a
 * gapless-as-possible offset. The events collection is the log (an event is stored with its
 * partition and offset in the same insert), so "accepted" and "in the log" are one write, and the
 * retention purge trims both at once.
 *
 * Offsets are claimed before the insert, one document per offset under a unique `_id` (one write;
 * src/models/stream-log.ts says why not a `$inc` counter). Two API processes can
 * take offsets 7 and 8 and insert 8 first; a reader therefore stops at a missing offset (a gap)
 * instead of passing it, and only passes it when it cannot be filled any more:
 * - a StreamSkip marks it (the insert failed, or was a duplicate): passed at once;
 * - the next visible event is older than GAP_TIMEOUT_MS: the allocating process crashed before its
 *   insert (nothing was accepted: 202 comes after the insert), or the event was purged.
 * A writer whose insert took longer than LATE_INSERT_MS re-appends its event at a fresh offset, so
 * an insert that lands after readers gave up on its offset is still read (at least once).
 */
import type { Models } from '../models';
import { currentAccountId } from '../accounts/scope';
import { isDuplicateKey } from '../db';
import { partitionOf, STREAM_PARTITIONS } from './partition';

export const GAP_TIMEOUT_MS = 5_000;
export const LATE_INSERT_MS = 2_000;

export interface LogPosition {
  partition: number;
  offset: number;
}

/** Takes the next offset of the event's partition (the one extra write of the webhook path). */
export async function allocateOffset(models: Pick<Models, 'StreamOffsetClaim'>, entityIds: readonly string[], eventId: string): Promise<LogPosition> {
  const partition = partitionOf(entityIds, eventId);
  return { partition, offset: await nextOffset(models, partition) };
}

/**
 * This process's guess of each partition's next offset, so the usual claim is one insert and no
 * read; per model (so per database: tests run several Heralds in one process).
 */
const guesses = new WeakMap<object, Map<string, number>>();

async function nextOffset(models: Pick<Models, 'StreamOffsetClaim'>, partition: number): Promise<number> {
  const accountId = currentAccountId();
  const key = `${accountId}:${partition}`;
  let nextGuess = guesses.get(models.StreamOffsetClaim);
  if (!nextGuess) guesses.set(models.StreamOffsetClaim, (nextGuess = new Map()));
  const guessed = nextGuess.get(key);
  let offset = guessed ?? (await lastClaimed(models, partition)) + 1;
  // Reserved before the insert is awaited, so concurrent requests of this process try distinct offsets.
  const reserve = (o: number) => nextGuess.set(key, Math.max(nextGuess.get(key) ?? 0, o + 1));
  reserve(offset);
  for (let attempt = 1; ; attempt++) {
    try {
      await models.StreamOffsetClaim.create({ _id: `${key}:${offset}`, partition, offset });
      return offset;
    } catch (err) {
      // Taken by another process (or our guess was stale): try after the last one taken.
      if (!isDuplicateKey(err) || attempt >= 20) throw err;
      offset = Math.max(offset + 1, (await lastClaimed(models, partition)) + 1, nextGuess.get(key) ?? 0);
      reserve(offset);
    }
  }
}

async function lastClaimed(models: Pick<Models, 'StreamOffsetClaim'>, partition: number): Promise<number> {
  const last = await models.StreamOffsetClaim.findOne({ partition }, { offset: 1 }).sort({ offset: -1 }).lean();
  return last?.offset ?? 0;
}

/** An offset that will never hold an event: readers pass it without waiting. Best effort. */
export async function markSkipped(models: Pick<Models, 'StreamSkip'>, at: LogPosition): Promise<void> {
  await models.StreamSkip.create({ partition: at.partition, offset: at.offset });
}

/** Moves a late-inserted event to a fresh offset (its old one may already have been passed as a gap). */
export async function reappend(models: Pick<Models, 'StreamOffsetClaim' | 'Event'>, eventId: string, partition: number): Promise<number> {
  const offset = await nextOffset(models, partition);
  await models.Event.updateOne({ _id: eventId }, { $set: { streamOffset: offset } });
  return offset;
}

/** The last offset taken per partition (0 where none was): where a `readFrom: end` subscription starts. */
export async function logEnds(models: Pick<Models, 'StreamOffsetClaim'>): Promise<number[]> {
  return Promise.all(Array.from({ length: STREAM_PARTITIONS }, (_, p) => lastClaimed(models, p)));
}

export interface LogEvent {
  _id: string;
  type: string;
  occurredAt: Date;
  entityIds: string[];
  dataJson?: string | null;
  streamOffset: number;
  createdAt: Date;
}

export interface PartitionRead {
  /** Events in offset order, every offset from `from` up to `next - 1` accounted for. */
  events: LogEvent[];
  /** The next offset to read. */
  next: number;
  /** Offsets passed as gone (purged past retention, or never written), to tell the consumer. */
  skipped: { fromOffset: number; toOffset: number } | null;
}

/**
 * Reads a partition from offset `from`, at most `limit` events, stopping at a gap that may still fill.
 * Events of every type are read (and passed); the caller keeps those its subscription wants.
 */
export async function readPartition(
  models: Pick<Models, 'Event' | 'StreamSkip'>,
  partition: number,
  from: number,
  limit: number,
  now = Date.now(),
): Promise<PartitionRead> {
  const docs = (await models.Event.find(
    { streamPartition: partition, streamOffset: { $gte: from } },
    { type: 1, occurredAt: 1, entityIds: 1, dataJson: 1, streamOffset: 1, createdAt: 1 },
  )
    .sort({ streamOffset: 1 })
    .limit(limit)
    .lean()) as unknown as LogEvent[];
  let skips: Set<number> | null = null;
  const events: LogEvent[] = [];
  let expected = from;
  let skipped = null as PartitionRead['skipped'];
  for (const doc of docs) {
    if (doc.streamOffset < expected) continue; // a re-appended event seen twice in one page
    if (doc.streamOffset > expected) {
      skips ??= await skipsBetween(models, partition, expected, docs[docs.length - 1].streamOffset);
      while (expected < doc.streamOffset && skips.has(expected)) expected++;
      if (expected < doc.streamOffset) {
        if (now - new Date(doc.createdAt).getTime() < GAP_TIMEOUT_MS) break; // may still fill: wait
        skipped = { fromOffset: skipped?.fromOffset ?? expected, toOffset: doc.streamOffset - 1 };
        expected = doc.streamOffset;
      }
    }
    events.push(doc);
    expected = doc.streamOffset + 1;
  }
  return { events, next: expected, skipped };
}

async function skipsBetween(models: Pick<Models, 'StreamSkip'>, partition: number, from: number, to: number): Promise<Set<number>> {
  const docs = await models.StreamSkip.find({ partition, offset: { $gte: from, $lt: to } }, { offset: 1 }).lean();
  return new Set(docs.map((d) => d.offset));
}
