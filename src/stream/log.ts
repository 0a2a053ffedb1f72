/**
 * The stream log: every accepted event of an account, in partitions, each partition ordered by a
 * gapless-as-possible offset. The log is two collections written on the webhook path with one
 * extra write between them:
 * - an offset claim (src/models/stream-log.ts), `_id` = account:partition:offset, naming the event,
 *   inserted before the event. The unique `_id` is what makes two API processes never take one
 *   offset, and what readers look offsets up by (log-reader.ts);
 * - the event itself, carrying its `streamPartition` and `streamOffset` (the accepted one: a claim
 *   whose event has another offset, a duplicate's or a moved one's, is passed).
 *
 * Two API processes can take offsets 7 and 8 and insert 8 first; a reader therefore stops at a
 * missing offset (a gap) instead of passing it, and only passes it when it cannot be filled any
 * more (log-reader.ts). A writer whose event insert took longer than LATE_INSERT_MS re-appends it
 * at a fresh offset, so an insert that lands after readers gave up on its offset is still read.
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

export function claimId(accountId: string, partition: number, offset: number): string {
  return `${accountId}:${partition}:${offset}`;
}

/** Takes the next offset of the event's partition (the one extra write of the webhook path). */
export async function allocateOffset(models: Pick<Models, 'StreamOffsetClaim'>, entityIds: readonly string[], eventId: string): Promise<LogPosition> {
  const partition = partitionOf(entityIds, eventId);
  return { partition, offset: await nextOffset(models, partition, eventId, false) };
}

/**
 * This process's guess of each partition's next offset, so the usual claim is one insert and no
 * read; per model (so per database: tests run several Heralds in one process). `at`: when it was
 * last used.
 */
const guesses = new WeakMap<object, Map<string, { next: number; at: number }>>();

/**
 * The most `_id`s looked up at once (FerretDB pushes `_id: {$in}` of up to 1,000 down to its index:
 * src/embedded/ferretdb-patches.ts). A gap in the log (offsets a crashed writer had reserved) is
 * assumed narrower than this: readers and writers look this far ahead to see past one.
 */
export const MAX_WINDOW = 1000;

async function nextOffset(models: Pick<Models, 'StreamOffsetClaim'>, partition: number, eventId: string, reappended: boolean): Promise<number> {
  const accountId = currentAccountId();
  const key = `${accountId}:${partition}`;
  let nextGuess = guesses.get(models.StreamOffsetClaim);
  if (!nextGuess) guesses.set(models.StreamOffsetClaim, (nextGuess = new Map()));
  const guessed = nextGuess.get(key);
  // A guess unused for a while may point into a gap other processes left and readers have passed
  // since (they pass one after GAP_TIMEOUT_MS): an event claimed there would never be read. So it
  // is checked against the claims above it first (one read, by _id).
  let offset =
    guessed === undefined ? (await lastClaimed(models, partition)) + 1
    : Date.now() - guessed.at > GAP_TIMEOUT_MS / 2 ? await freeFrom(models, accountId, partition, guessed.next)
    : guessed.next;
  // Reserved before the insert is awaited, so concurrent requests of this process try distinct offsets.
  const reserve = (o: number) => nextGuess.set(key, { next: Math.max(nextGuess.get(key)?.next ?? 0, o + 1), at: Date.now() });
  reserve(offset);
  for (let attempt = 1; ; attempt++) {
    try {
      await models.StreamOffsetClaim.create({ _id: claimId(accountId, partition, offset), partition, offset, eventId, at: new Date(), reappended });
      return offset;
    } catch (err) {
      // Taken by another process (or our guess was stale): try after the last one taken.
      if (!isDuplicateKey(err) || attempt >= 20) throw err;
      offset = Math.max(offset + 1, await freeFrom(models, accountId, partition, offset + 1), nextGuess.get(key)?.next ?? 0);
      reserve(offset);
    }
  }
}

/** The first offset from `from` with no claim at or above it (looked up by _id, a window at a time). */
async function freeFrom(models: Pick<Models, 'StreamOffsetClaim'>, accountId: string, partition: number, from: number): Promise<number> {
  return (await lastClaimedFrom(models, accountId, partition, from, Infinity))! + 1;
}

/**
 * The highest offset claimed at or above `from` (`from - 1` if none), following the claims by _id a
 * window at a time; null after `maxWindows` windows (the caller reads the end another way).
 */
async function lastClaimedFrom(models: Pick<Models, 'StreamOffsetClaim'>, accountId: string, partition: number, from: number, maxWindows: number): Promise<number | null> {
  for (let i = 0; i < maxWindows; i++) {
    const ids = Array.from({ length: MAX_WINDOW }, (_, k) => claimId(accountId, partition, from + k));
    const taken = await models.StreamOffsetClaim.find({ _id: { $in: ids } }, { offset: 1 }).lean();
    if (taken.length === 0) return from - 1;
    const top = Math.max(...taken.map((c) => c.offset));
    if (top < from + MAX_WINDOW - 1) return top;
    from = top + 1;
  }
  return null;
}

/**
 * A partition's last offset, looked for from `hint` (an offset known to be claimed or passed, e.g.
 * a committed cursor): a few index searches when the hint is close, else the full read below.
 */
export async function logEndFrom(models: Pick<Models, 'StreamOffsetClaim'>, partition: number, hint: number): Promise<number> {
  const found = await lastClaimedFrom(models, currentAccountId(), partition, hint + 1, 4);
  return found ?? lastClaimed(models, partition);
}

/**
 * The highest offset claimed in a partition (0 if none): the newest claim by time (an index read:
 * the embedded store orders its indexes by a value's JSON text, right for dates, wrong for numbers,
 * so "the largest offset" is not an index read there), then the claims above it by `_id` (a claim
 * taken at the same moment by another process may have the next offset).
 */
async function lastClaimed(models: Pick<Models, 'StreamOffsetClaim'>, partition: number): Promise<number> {
  const newest = await models.StreamOffsetClaim.findOne({ partition, at: { $lte: new Date(Date.now() + 86_400_000) } }, { offset: 1 })
    .sort({ at: -1 })
    .lean();
  if (!newest) return 0;
  return (await lastClaimedFrom(models, currentAccountId(), partition, newest.offset + 1, Infinity)) ?? newest.offset;
}

/** An offset that will never hold an event (the insert failed): readers pass it without waiting. Best effort. */
export async function markSkipped(models: Pick<Models, 'StreamOffsetClaim'>, at: LogPosition): Promise<void> {
  await models.StreamOffsetClaim.updateOne({ _id: claimId(currentAccountId(), at.partition, at.offset) }, { $set: { skipped: true } });
}

/**
 * Moves a late-inserted event to a fresh offset (its old one may already have been passed as a
 * gap). The claim comes first and says `reappended`, so a reader that reaches it before the
 * event's offset is updated waits instead of passing it as a duplicate's.
 */
export async function reappend(models: Pick<Models, 'StreamOffsetClaim' | 'Event'>, eventId: string, partition: number): Promise<number> {
  const offset = await nextOffset(models, partition, eventId, true);
  await models.Event.updateOne({ _id: eventId }, { $set: { streamOffset: offset } });
  return offset;
}

/** The last offset taken per partition (0 where none was): where a `readFrom: end` subscription starts. */
export async function logEnds(models: Pick<Models, 'StreamOffsetClaim'>): Promise<number[]> {
  return Promise.all(Array.from({ length: STREAM_PARTITIONS }, (_, p) => lastClaimed(models, p)));
}
