/**
 * Stream sessions: one per open stream, a lease in MongoDB renewed by the serving process. Live
 * sessions (fresh heartbeat, not closed) share the subscription's partitions; a stream whose
 * process died stops being live after the lease and its partitions move to the others.
 */
import type { Models } from '../models';
import { ErrorCodes, HeraldError } from '../errors';
import { newId } from '../ids';
import { orderStreams, partitionsOf, type LiveStream } from './assignment';
import { STREAM_PARTITIONS } from './partition';

type SessionModels = Pick<Models, 'StreamSession'>;

export function tooManyStreams(): HeraldError {
  return new HeraldError(409, ErrorCodes.conflict, `This subscription already has ${STREAM_PARTITIONS} streams, one per partition: no partition is left for another`);
}

/** The sessions that are live: not closed, lease not expired. The one rule, for one subscription or several. */
export function liveSessionFilter(subscriptionId: string | { $in: string[] }, leaseMs: number, now = Date.now()) {
  return { subscriptionId, closedAt: null, heartbeatAt: { $gt: new Date(now - leaseMs) } };
}

export async function liveStreams(models: SessionModels, subscriptionId: string, leaseMs: number, now = Date.now()): Promise<LiveStream[]> {
  const docs = await models.StreamSession.find(liveSessionFilter(subscriptionId, leaseMs, now), { joinedAt: 1 }).lean();
  return docs.map((d) => ({ id: d._id, joinedAt: d.joinedAt }));
}

/**
 * Opens a session, or 409 when the subscription has a stream per partition already. Joining first
 * and checking after (rather than counting first) keeps two concurrent joins from both getting in:
 * each sees the other, and the later one of them backs out.
 */
export async function joinStream(models: SessionModels, subscriptionId: string, leaseMs: number): Promise<string> {
  const now = new Date();
  // Sessions of dead processes, long expired: housekeeping, so the collection does not grow.
  await models.StreamSession.deleteMany({ subscriptionId, heartbeatAt: { $lt: new Date(now.getTime() - 10 * leaseMs) } });
  const id = newId('stm');
  await models.StreamSession.create({ _id: id, subscriptionId, joinedAt: now, heartbeatAt: now });
  const live = orderStreams(await liveStreams(models, subscriptionId, leaseMs));
  if (live.findIndex((s) => s.id === id) >= STREAM_PARTITIONS) {
    await models.StreamSession.deleteOne({ _id: id });
    throw tooManyStreams();
  }
  return id;
}

/** Renews the lease; null when the session is gone or closed (the stream must end). */
export async function heartbeat(models: SessionModels, id: string): Promise<{ lastCommitAt: Date | null } | null> {
  const doc = await models.StreamSession.findOneAndUpdate({ _id: id, closedAt: null }, { $set: { heartbeatAt: new Date() } }, { new: true }).lean();
  return doc ? { lastCommitAt: doc.lastCommitAt ?? null } : null;
}

export async function myPartitions(models: SessionModels, subscriptionId: string, id: string, leaseMs: number): Promise<number[]> {
  return partitionsOf(id, await liveStreams(models, subscriptionId, leaseMs), STREAM_PARTITIONS);
}

export async function leaveStream(models: SessionModels, id: string): Promise<void> {
  await models.StreamSession.deleteOne({ _id: id });
}

export async function closeStream(models: SessionModels, id: string): Promise<void> {
  await models.StreamSession.updateOne({ _id: id }, { $set: { closedAt: new Date() } });
}
