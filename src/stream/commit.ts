/**
 * Committing cursors: the stream id must name a live stream of this subscription (else 409), every
 * cursor must carry this subscription's token for its partition and offset (else 422, all bad
 * ones named), every partition must be assigned to that stream now (else 409
 * `partition_not_owned`, naming them: as Nakadi refuses a cursor of a partition whose session is
 * another stream), and an offset only moves forward: an update conditional on `offset < new`, so
 * a repeated or late commit is answered "outdated" and changes nothing. A refused commit commits
 * none of its cursors.
 *
 * Why refuse a moved partition: its new owner started reading it from the committed cursor and
 * is the one that commits it from then on; a late commit by the old owner would move the cursor
 * under it. Ownership is computed as the streamer computes it (sessions.ts `myPartitions`), from
 * the live sessions in MongoDB, so a commit refused here is one whose partition another stream
 * already reads, even before the old stream's next heartbeat notices. The read and the update are
 * not one atomic step: a stream joining in between reads the cursor before this commit moves it,
 * re-sends those events once (at least once), and its own older commits are answered "outdated".
 */
import type { Models } from '../models';
import { ErrorCodes, HeraldError, type ValidationIssue } from '../errors';
import { verifyCursorToken } from './cursor-token';
import { STREAM_PARTITIONS } from './partition';
import { myPartitions } from './sessions';

export interface CommitItem {
  partition: number;
  offset: number;
  cursorToken: string;
  eventType?: string | null;
}

export type CommitResult = { cursor: CommitItem; result: 'committed' | 'outdated' };

export function unknownStream(): HeraldError {
  return new HeraldError(409, ErrorCodes.conflict, 'X-Herald-StreamId does not name an open stream of this subscription (missing, closed or expired): open a new stream and commit from it');
}

export function notOwned(moved: Array<{ index: number; partition: number }>, mine: number[]): HeraldError {
  const partitions = [...new Set(moved.map((m) => m.partition))].sort((a, b) => a - b);
  return new HeraldError(
    409,
    ErrorCodes.partitionNotOwned,
    `Not assigned to this stream: partition ${partitions.join(', ')} (it reads ${mine.length ? mine.join(', ') : 'none'} now); another stream of this subscription reads it from the committed cursor. Nothing was committed: drop those batches and keep reading this stream`,
    moved.map((m) => ({ path: `items.${m.index}.partition`, message: `partition ${m.partition} is not assigned to this stream` })),
  );
}

export async function commitCursors(
  models: Pick<Models, 'StreamSession' | 'StreamCursor'>,
  opts: { subscriptionId: string; streamId: string | undefined; items: CommitItem[]; key: Buffer; leaseMs: number },
): Promise<CommitResult[]> {
  const { subscriptionId, streamId } = opts;
  if (!streamId) throw unknownStream();
  const session = await models.StreamSession.findOne({ _id: streamId, subscriptionId }).lean();
  if (!session || session.closedAt || Date.now() - session.heartbeatAt.getTime() > opts.leaseMs) throw unknownStream();

  const bad: ValidationIssue[] = [];
  opts.items.forEach((c, i) => {
    if (c.partition >= STREAM_PARTITIONS) bad.push({ path: `items.${i}.partition`, message: `must be below ${STREAM_PARTITIONS}` });
    else if (!verifyCursorToken(opts.key, { subscriptionId, partition: c.partition, offset: c.offset }, c.cursorToken)) {
      bad.push({ path: `items.${i}.cursorToken`, message: 'is not a cursor of this subscription at this partition and offset' });
    }
  });
  if (bad.length) throw new HeraldError(422, ErrorCodes.invalidCursor, 'Cursors that this subscription\'s streams did not give', bad);

  const mine = new Set(await myPartitions(models, subscriptionId, streamId, opts.leaseMs));
  const moved = opts.items.flatMap((c, i) => (mine.has(c.partition) ? [] : [{ index: i, partition: c.partition }]));
  if (moved.length) throw notOwned(moved, [...mine]);

  const results: CommitResult[] = [];
  for (const cursor of opts.items) {
    const r = await models.StreamCursor.updateOne(
      { _id: `${subscriptionId}:${cursor.partition}`, offset: { $lt: cursor.offset } },
      { $set: { offset: cursor.offset } },
    );
    results.push({ cursor, result: r.modifiedCount === 1 ? 'committed' : 'outdated' });
  }
  await models.StreamSession.updateOne({ _id: streamId }, { $set: { lastCommitAt: new Date() } });
  return results;
}
