/**
 * What an operator asks of a stream subscription: per partition the committed offset, the log's
 * end, the lag between them and the stream that reads it now; per subscription the streams open
 * and the total lag. For a page of subscriptions at once (the list, the console): one read of the
 * cursors, one of the live sessions, and per partition one look for the log's end, followed by
 * `_id` from the lowest cursor of the page (src/stream/log.ts `logEndFrom`), whatever the page's size.
 */
import type { Models } from '../models';
import { partitionsOf, type LiveStream } from './assignment';
import { logEndFrom } from './log';
import { liveSessionFilter } from './sessions';
import { STREAM_PARTITIONS } from './partition';

export interface PartitionStats {
  partition: number;
  committedOffset: number;
  lastOffset: number;
  /** Events of any type past the committed offset (a keep-alive commit passes those the subscription does not want). */
  lag: number;
  /** The live stream this partition is assigned to, or null when no stream reads it. */
  streamId: string | null;
}

export interface SubscriptionStats {
  openStreams: number;
  lag: number;
  partitions: PartitionStats[];
}

type StatsModels = Pick<Models, 'StreamCursor' | 'StreamSession' | 'StreamOffsetClaim'>;

export async function subscriptionStats(models: StatsModels, subscriptionIds: readonly string[], leaseMs: number, now = Date.now()): Promise<Map<string, SubscriptionStats>> {
  const out = new Map<string, SubscriptionStats>();
  if (subscriptionIds.length === 0) return out;
  const ids = [...subscriptionIds];
  const [cursors, sessions] = await Promise.all([
    models.StreamCursor.find({ subscriptionId: { $in: ids } }, { subscriptionId: 1, partition: 1, offset: 1 }).lean(),
    models.StreamSession.find(liveSessionFilter({ $in: ids }, leaseMs, now), { subscriptionId: 1, joinedAt: 1 }).lean(),
  ]);
  const committed = new Map(cursors.map((c) => [`${c.subscriptionId}:${c.partition}`, c.offset]));
  const ends = await Promise.all(
    Array.from({ length: STREAM_PARTITIONS }, (_, partition) => {
      const lowest = Math.min(...ids.map((id) => committed.get(`${id}:${partition}`) ?? 0));
      return logEndFrom(models, partition, lowest).then((end) => Math.max(end, lowest));
    }),
  );
  const live = new Map<string, LiveStream[]>();
  for (const s of sessions) live.set(s.subscriptionId, [...(live.get(s.subscriptionId) ?? []), { id: s._id, joinedAt: s.joinedAt }]);

  for (const id of ids) {
    const streams = live.get(id) ?? [];
    const owner = new Map<number, string>();
    for (const s of streams) for (const p of partitionsOf(s.id, streams, STREAM_PARTITIONS)) owner.set(p, s.id);
    const partitions = ends.map((end, partition) => {
      const committedOffset = committed.get(`${id}:${partition}`) ?? 0;
      const lastOffset = Math.max(end, committedOffset);
      return { partition, committedOffset, lastOffset, lag: lastOffset - committedOffset, streamId: owner.get(partition) ?? null };
    });
    out.set(id, { openStreams: streams.length, lag: partitions.reduce((sum, p) => sum + p.lag, 0), partitions });
  }
  return out;
}
