/**
 * Stream sessions: one per open stream, a lease in MongoDB renewed by the serving process. Live
 * sessions (fresh heartbeat, not closed) share the subscription's partitions; a stream whose
 * process died stops being live after the lease and its partitions move to the others.
 *
 * Admission is exact: a stream first takes one of its subscription's STREAM_PARTITIONS **slots**,
 * a lease permit in delivery_permits (`<subscription>:c:<k>`, kind `lease`, the stream as holder)
 * taken by inserting its `_id` — the one write the embedded FerretDB makes atomic; a slot whose
 * lease expired (its process died) is taken over with a `takeover` insert
 * (src/flow-control/permits.ts, as webhooks' concurrency slots are). No free slot: 409. Counting
 * the live sessions after joining (the first design) let 7 of 200 simultaneous joins in: a join
 * ordered early by `joinedAt` could insert after a later one had counted.
 *
 * A heartbeat renews the slot first, then the session, with the same time: a session is live
 * exactly as long as its slot, so there are never more live sessions than slots. The session also
 * says which partitions the stream reads (`reading`, written by the same update): a stream takes a
 * partition assigned to it only once no other live session lists it, so a partition that moves
 * is read by its old owner until that one's next heartbeat, then by the new one from its next.
 */
import type { Models } from '../models';
import { ErrorCodes, HeraldError } from '../errors';
import { newId } from '../ids';
import { insertPermit, insertPermitOrTakeOver } from '../flow-control/permits';
import { partitionsOf, type LiveStream } from './assignment';
import { STREAM_PARTITIONS } from './partition';

type SessionModels = Pick<Models, 'StreamSession'>;
type JoinModels = Pick<Models, 'StreamSession' | 'DeliveryPermit'>;

/** An open stream: its session's id (X-Herald-StreamId) and the slot it holds. */
export interface JoinedStream {
  id: string;
  slot: string;
}

export function tooManyStreams(): HeraldError {
  return new HeraldError(409, ErrorCodes.conflict, `This subscription already has ${STREAM_PARTITIONS} streams, one per partition: no partition is left for another`);
}

/** The sessions that are live: not closed, lease not expired. The one rule, for one subscription or several. */
export function liveSessionFilter(subscriptionId: string | { $in: string[] }, leaseMs: number, now = Date.now()) {
  return { subscriptionId, closedAt: null, heartbeatAt: { $gt: new Date(now - leaseMs) } };
}

export async function liveStreams(models: SessionModels, subscriptionId: string, leaseMs: number, now = Date.now()): Promise<LiveStream[]> {
  const docs = await models.StreamSession.find(liveSessionFilter(subscriptionId, leaseMs, now), { joinedAt: 1, reading: 1 }).lean();
  return docs.map((d) => ({ id: d._id, joinedAt: d.joinedAt, reading: d.reading ?? [] }));
}

export function slotId(subscriptionId: string, k: number): string {
  return `${subscriptionId}:c:${k}`;
}

/** Opens a session holding one of the subscription's slots, or 409 when every slot is held. */
export async function joinStream(models: JoinModels, subscriptionId: string, leaseMs: number): Promise<JoinedStream> {
  const { DeliveryPermit } = models;
  const now = new Date();
  // One read answers a full subscription (the usual refusal) without a write.
  const held = await DeliveryPermit.find({ webhookId: subscriptionId, kind: 'lease', n: { $lt: STREAM_PARTITIONS } }, { n: 1, until: 1 }).lean();
  const taken = new Map(held.map((s) => [s.n, s]));
  const id = newId('stm');
  for (let k = 0; k < STREAM_PARTITIONS; k++) {
    const current = taken.get(k);
    if (current && !(current.until && current.until <= now)) continue;
    const slot = { _id: slotId(subscriptionId, k), webhookId: subscriptionId, kind: 'lease' as const, n: k, holder: id, until: new Date(now.getTime() + leaseMs) };
    // A slot seen free is one insert (lost: another join took it just now); one seen expired is taken over.
    if (!(await (current ? insertPermitOrTakeOver(DeliveryPermit, slot, now) : insertPermit(DeliveryPermit, slot)))) continue;
    try {
      // Sessions of dead processes, long expired: housekeeping, so the collection does not grow.
      await models.StreamSession.deleteMany({ subscriptionId, heartbeatAt: { $lt: new Date(now.getTime() - 10 * leaseMs) } });
      await models.StreamSession.create({ _id: id, subscriptionId, joinedAt: now, heartbeatAt: now });
    } catch (err) {
      await DeliveryPermit.deleteOne({ _id: slot._id, holder: id }).catch(() => {});
      throw err;
    }
    return { id, slot: slot._id };
  }
  throw tooManyStreams();
}

/**
 * A heartbeat, in two steps: `renewSlot` first, then `renewSession` to the same time (with the
 * partitions the stream reads from now on); null when either is gone: the slot expired and went
 * to another stream, or the session was closed (the stream must end).
 */
export async function renewSlot(models: Pick<Models, 'DeliveryPermit'>, stream: JoinedStream, leaseMs: number): Promise<Date | null> {
  const now = new Date();
  const slot = await models.DeliveryPermit.updateOne({ _id: stream.slot, holder: stream.id, until: { $gt: now } }, { $set: { until: new Date(now.getTime() + leaseMs) } });
  return slot.matchedCount === 0 ? null : now;
}

export async function renewSession(models: SessionModels, id: string, at: Date, reading: number[]): Promise<{ lastCommitAt: Date | null } | null> {
  const doc = await models.StreamSession.findOneAndUpdate({ _id: id, closedAt: null }, { $set: { heartbeatAt: at, reading } }, { new: true }).lean();
  return doc ? { lastCommitAt: doc.lastCommitAt ?? null } : null;
}

export async function myPartitions(models: SessionModels, subscriptionId: string, id: string, leaseMs: number): Promise<number[]> {
  return partitionsOf(id, await liveStreams(models, subscriptionId, leaseMs), STREAM_PARTITIONS);
}

/** The session goes, then the slot: a new stream can take it. */
export async function leaveStream(models: JoinModels, stream: JoinedStream): Promise<void> {
  await models.StreamSession.deleteOne({ _id: stream.id });
  await models.DeliveryPermit.deleteOne({ _id: stream.slot, holder: stream.id });
}

export async function closeStream(models: SessionModels, id: string): Promise<void> {
  await models.StreamSession.updateOne({ _id: id }, { $set: { closedAt: new Date() } });
}
