/**
 * Committing cursors: the stream id must name a live stream of this subscription (else 409), every
 * cursor must carry this subscription's token for its partition and offset (else 422, all bad
 * ones named), and an offset only moves forward: an update conditional on `offset < new`, so a
 * repeated or late commit is answered "outdated" and changes nothing.
 */
import type { Models } from '../models';
import { ErrorCodes, HeraldError, type ValidationIssue } from '../errors';
import { verifyCursorToken } from './cursor-token';
import { STREAM_PARTITIONS } from './partition';

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
