/**
 * Stream subscriptions: create (idempotent on owningApplication + eventTypes + consumerGroup),
 * their committed cursors, and their lag. Each subscription has one cursor per partition; a
 * `readFrom: end` subscription starts at the log's end when it is created (`startOffsets`).
 */
import type { Models } from '../models';
import { isDuplicateKey } from '../db';
import { newId } from '../ids';
import { logEndFrom, logEnds } from './log';
import { STREAM_PARTITIONS } from './partition';

export interface NewStreamSubscription {
  owningApplication: string;
  eventTypes: string[];
  consumerGroup: string;
  readFrom: 'begin' | 'end';
}

type SubModels = Pick<Models, 'StreamSubscription' | 'StreamCursor' | 'StreamOffsetClaim'>;

export function subscriptionKey(s: Pick<NewStreamSubscription, 'owningApplication' | 'eventTypes' | 'consumerGroup'>): string {
  return JSON.stringify([s.owningApplication, [...new Set(s.eventTypes)].sort(), s.consumerGroup]);
}

export async function createStreamSubscription(models: SubModels, input: NewStreamSubscription) {
  const key = subscriptionKey(input);
  const existing = await models.StreamSubscription.findOne({ key }).lean();
  if (existing) return { created: false, subscription: existing };
  const id = newId('sub');
  const starts = input.readFrom === 'end' ? await logEnds(models) : new Array<number>(STREAM_PARTITIONS).fill(0);
  try {
    await models.StreamSubscription.create({ _id: id, key, ...input, eventTypes: [...new Set(input.eventTypes)].sort() });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const first = await models.StreamSubscription.findOne({ key }).lean();
    if (!first) throw err;
    return { created: false, subscription: first };
  }
  // Cursors after the subscription: a crash in between leaves it without cursors, and
  // ensureCursors (on every stream start) adds them, from the beginning at worst (at-least-once).
  await ensureCursors(models, id, starts);
  return { created: true, subscription: (await models.StreamSubscription.findOne({ _id: id }).lean())! };
}

export async function ensureCursors(models: Pick<Models, 'StreamCursor'>, subscriptionId: string, starts?: number[]): Promise<void> {
  const have = new Set((await models.StreamCursor.find({ subscriptionId }, { partition: 1 }).lean()).map((c) => c.partition));
  const missing = [];
  for (let p = 0; p < STREAM_PARTITIONS; p++) {
    if (!have.has(p)) missing.push({ _id: `${subscriptionId}:${p}`, subscriptionId, partition: p, offset: starts?.[p] ?? 0 });
  }
  if (missing.length === 0) return;
  await models.StreamCursor.insertMany(missing, { ordered: false }).catch((err: unknown) => {
    if (!isDuplicateKey(err)) throw err; // a concurrent stream start added them
  });
}

/** Committed offsets by partition. */
export async function committedOffsets(models: Pick<Models, 'StreamCursor'>, subscriptionId: string): Promise<Map<number, number>> {
  const docs = await models.StreamCursor.find({ subscriptionId }, { partition: 1, offset: 1 }).lean();
  return new Map(docs.map((d) => [d.partition, d.offset]));
}

/** Per partition: the committed offset, the log's last offset, and the lag between them (events of any type). */
export async function subscriptionLag(models: SubModels, subscriptionId: string) {
  const committed = await committedOffsets(models, subscriptionId);
  return Promise.all(
    Array.from({ length: STREAM_PARTITIONS }, async (_, partition) => {
      const offset = committed.get(partition) ?? 0;
      const last = Math.max(offset, await logEndFrom(models, partition, offset));
      return { partition, committedOffset: offset, lastOffset: last, lag: last - offset };
    }),
  );
}

export async function deleteStreamSubscription(models: Pick<Models, 'StreamSubscription' | 'StreamCursor' | 'StreamSession'>, id: string): Promise<boolean> {
  const r = await models.StreamSubscription.deleteOne({ _id: id });
  if (r.deletedCount === 0) return false;
  // Open streams end at their next heartbeat; their sessions and the cursors go.
  await models.StreamSession.updateMany({ subscriptionId: id }, { $set: { closedAt: new Date() } });
  await models.StreamCursor.deleteMany({ subscriptionId: id });
  return true;
}
