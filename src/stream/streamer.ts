/**
 * One open stream: reads the partitions assigned to it from the log, keeps what the subscription
 * wants, and writes NDJSON batches to the response as they are ready.
 *
 * - Memory is bounded: at most READ_AHEAD events are read ahead per partition, and a write the
 *   socket cannot take yet (`res.write` returned false) is awaited ('drain') before reading more,
 *   so a slow consumer slows the reads instead of growing a buffer.
 * - Nothing is lost on a disconnect: what was not committed is read again by the next stream from
 *   the committed cursor (at least once).
 * - Every heartbeat renews the stream's lease, recomputes its partitions (others may have joined
 *   or left) and enforces the commit timeout.
 * - The stream's authority is checked again every RECHECK_MS (its key not revoked, its account
 *   not deleted, its subscription not deleted; `StreamDeps.authority`): when it is gone the stream
 *   ends as a closed one does, within RECHECK_MS and a read, on whichever process serves it. And
 *   nothing read from the log is written before a check that started after that event was
 *   accepted (its `createdAt`) said yes: an event posted after a revoke never reaches the stream.
 */
import { publicEventId } from '../accounts/event-ids';
import type { Response } from 'express';
import type { Models } from '../models';
import type { Logger } from '../logger';
import { eventData } from '../models/event';
import { matchesEventType } from '../matching/event-type';
import { cursorToken } from './cursor-token';
import { MAX_WINDOW, readLog, type LogEvent, type ReadWindow, type SkippedRange } from './log-reader';
import { logFloors } from './trim';
import { nextAppend } from './recent';
import { closeStream, liveStreams, renewSession, renewSlot, type JoinedStream } from './sessions';
import { partitionsOf } from './assignment';
import { STREAM_PARTITIONS } from './partition';
import { committedOffsets } from './subscriptions';

/** How stale the stream's last authority check may be; the clock that looks is twice as fast. */
export const RECHECK_MS = 250;

export interface StreamParams {
  batchLimit: number;
  batchFlushTimeoutMs: number;
  /** Events after which the stream ends; 0: no limit. */
  streamLimit: number;
  /** Time after which the stream ends; 0: no limit. */
  streamTimeoutMs: number;
}

export interface StreamDeps {
  models: Models;
  cursorKey: Buffer;
  leaseMs: number;
  commitTimeoutMs: number;
  logger: Logger;
  /** Whether the stream may still be read, as read from MongoDB at `at` (at `notBefore` or later). */
  authority: (notBefore: number) => Promise<{ ok: boolean; at: number }>;
}

/**
 * How long an idle stream waits before it looks again. It is woken at once when this process
 * appends an event (read from memory, recent.ts); MongoDB, where other processes' events are, is
 * asked at most every DB_POLL_MS per partition once the stream has caught up.
 */
const POLL_MS = 20;
const DB_POLL_MS = 100;
const READ_AHEAD_MIN = 256;
/**
 * Offsets an idle partition looks at per poll. At every heartbeat it looks at MAX_WINDOW instead:
 * a gap wider than the idle window (offsets a crashed writer had reserved) is then seen and passed.
 */
const IDLE_WINDOW = 16;

interface PartitionState {
  next: number;
  buffer: LogEvent[];
  firstBufferedAt: number | null;
  /** The last offset sent in a batch with events: the stream has uncommitted data while it is above the committed one. */
  lastSentWithEvents: number;
  skipped: SkippedRange | null;
  /** The last read found no claim at all: the partition is at the log's end. */
  idle: boolean;
  /** When MongoDB was last asked for this partition. */
  lastDbRead: number;
}

export type StreamEnd = 'client_closed' | 'stream_limit' | 'stream_timeout' | 'commit_timeout' | 'closed' | 'revoked';

export async function runStream(
  deps: StreamDeps,
  sub: { _id: string; eventTypes: string[] },
  stream: JoinedStream,
  params: StreamParams,
  res: Response,
): Promise<StreamEnd> {
  const { models } = deps;
  const streamId = stream.id;
  let clientGone = false;
  let revoked = false;
  let stopped = () => {};
  // Either ends the stream: the client went away, or the stream lost its authority.
  const gone = new Promise<void>((resolve) => {
    stopped = resolve;
    res.once('close', () => { clientGone = true; resolve(); });
  });
  /** The newest `createdAt` read from the log; the start of the last check that said yes; the newest `createdAt` a check vouched for. */
  let newestRead = 0;
  let confirmedAt = 0;
  let vouched = 0;
  const confirm = async (notBefore: number): Promise<boolean> => {
    if (revoked) return false;
    const r = await deps.authority(notBefore);
    if (!r.ok) {
      // Ended at once, whatever the loop is waiting for; the route then frees the session and the slot.
      revoked = true;
      stopped();
      res.end();
    } else confirmedAt = Math.max(confirmedAt, r.at);
    return !revoked;
  };
  let checking = false;
  const recheck = setInterval(() => {
    if (checking || revoked || Date.now() - confirmedAt < RECHECK_MS) return;
    checking = true;
    confirm(Date.now() - RECHECK_MS)
      .catch((err: unknown) => deps.logger.warn({ err, streamId }, 'could not check the stream\'s authority; trying again'))
      .finally(() => { checking = false; });
  }, RECHECK_MS / 2);
  // The route ends the response whatever ended the stream.
  res.once('close', () => clearInterval(recheck));
  const parts = new Map<number, PartitionState>();
  const readAhead = Math.max(READ_AHEAD_MIN, params.batchLimit);
  const heartbeatEvery = Math.max(100, Math.min(1000, deps.leaseMs / 3));
  const started = Date.now();
  let nextHeartbeat = 0;
  let lastWrite = Date.now();
  let sent = 0;
  let uncommittedSince: number | null = null;

  const write = async (line: unknown) => {
    // Nothing read since the last yes goes out before a check that started after it says yes again
    // (or now, for an event stamped ahead of this process's clock: good to the processes' clock skew).
    if (newestRead > Math.max(confirmedAt, vouched)) {
      const upTo = newestRead;
      if (!(await confirm(Math.min(upTo, Date.now())))) return;
      vouched = Math.max(vouched, upTo);
    }
    if (revoked || clientGone || res.writableEnded) return;
    lastWrite = Date.now();
    if (!res.write(`${JSON.stringify(line)}\n`)) await Promise.race([new Promise((r) => res.once('drain', r)), gone]);
  };
  const cursor = (partition: number, offset: number, eventType: string | null) => ({
    partition,
    offset,
    eventType,
    cursorToken: cursorToken(deps.cursorKey, { subscriptionId: sub._id, partition, offset }),
  });
  const skip = (s: PartitionState, range: SkippedRange) => {
    s.skipped = { fromOffset: s.skipped?.fromOffset ?? range.fromOffset, toOffset: range.toOffset };
  };
  const flush = async (p: number, s: PartitionState, count: number) => {
    const events = s.buffer.splice(0, count);
    const last = events[events.length - 1];
    const line: Record<string, unknown> = { cursor: cursor(p, last.streamOffset, last.type), events: events.map(view) };
    if (s.skipped) line.skipped = s.skipped;
    s.skipped = null;
    s.firstBufferedAt = s.buffer.length ? Date.now() : null;
    s.lastSentWithEvents = last.streamOffset;
    uncommittedSince ??= Date.now();
    sent += events.length;
    await write(line);
  };

  for (;;) {
    if (revoked) return 'revoked';
    if (clientGone) return 'client_closed';
    const now = Date.now();
    if (params.streamTimeoutMs && now - started >= params.streamTimeoutMs) {
      for (const [p, s] of parts) while (s.buffer.length && !clientGone && !revoked) await flush(p, s, Math.min(params.batchLimit, s.buffer.length));
      return revoked ? 'revoked' : 'stream_timeout';
    }

    const beat = now >= nextHeartbeat;
    if (beat) {
      nextHeartbeat = now + heartbeatEvery;
      const renewed = await renewSlot(models, stream, deps.leaseMs);
      if (!renewed) return 'closed';
      const [live, committed] = await Promise.all([liveStreams(models, sub._id, deps.leaseMs), committedOffsets(models, sub._id)]);
      const mine = partitionsOf(streamId, live, STREAM_PARTITIONS);
      for (const p of [...parts.keys()]) if (!mine.includes(p)) parts.delete(p); // moved to another stream
      // One reader per partition: one still listed by another live stream (it has not yet seen the
      // move, or not yet said so) is taken at a later heartbeat, once that stream let go of it.
      const held = new Set(live.flatMap((l) => (l.id === streamId ? [] : (l.reading ?? []))));
      for (const p of mine) {
        if (parts.has(p) || held.has(p)) continue;
        const c = committed.get(p) ?? 0;
        parts.set(p, { next: c + 1, buffer: [], firstBufferedAt: null, lastSentWithEvents: c, skipped: null, idle: false, lastDbRead: 0 });
      }
      const hb = await renewSession(models, streamId, renewed, [...parts.keys()]);
      if (!hb) return 'closed';
      // Retention trimmed the log below a partition's position: resume at the oldest kept, saying so.
      const floors = await logFloors(models, [...parts.keys()]);
      for (const [p, s] of parts) {
        const floor = floors.get(p) ?? 0;
        if (s.next < floor) {
          skip(s, { fromOffset: s.next, toOffset: floor - 1 });
          s.next = floor;
        }
      }
      const outstanding = [...parts].some(([p, s]) => s.lastSentWithEvents > (committed.get(p) ?? 0));
      if (!outstanding) uncommittedSince = null;
      else if (now - Math.max(uncommittedSince ?? now, hb.lastCommitAt?.getTime() ?? 0) > deps.commitTimeoutMs) {
        await closeStream(models, streamId);
        return 'commit_timeout';
      }
    }

    let progressed = false;
    const windows: ReadWindow[] = [];
    for (const [p, s] of parts) {
      const room = readAhead - s.buffer.length;
      if (room <= 0) continue;
      const dbDue = beat || now - s.lastDbRead >= DB_POLL_MS;
      const db = dbDue ? 'always' : s.idle ? 'never' : 'if-memory-empty';
      windows.push({ partition: p, from: s.next, size: s.idle ? (beat ? MAX_WINDOW : IDLE_WINDOW) : Math.min(room, MAX_WINDOW), db });
    }
    for (const r of windows.length ? await readLog(models, windows) : []) {
      const s = parts.get(r.partition)!;
      if (r.consultedDb) {
        s.lastDbRead = now;
        s.idle = !r.sawClaims;
      } else if (r.sawClaims) s.idle = false;
      if (r.next === s.next) continue;
      progressed = true;
      for (const e of r.events) {
        newestRead = Math.max(newestRead, e.createdAt ? new Date(e.createdAt).getTime() : Date.now());
        if (matchesEventType(sub.eventTypes, e.type)) s.buffer.push(e);
      }
      if (r.skipped) skip(s, r.skipped);
      s.next = r.next;
      if (s.buffer.length && s.firstBufferedAt === null) s.firstBufferedAt = Date.now();
    }

    for (const [p, s] of parts) {
      while (s.buffer.length >= params.batchLimit || (s.buffer.length && Date.now() - s.firstBufferedAt! >= params.batchFlushTimeoutMs)) {
        const room = params.streamLimit ? params.streamLimit - sent : Infinity;
        await flush(p, s, Math.min(params.batchLimit, s.buffer.length, room));
        if (revoked) return 'revoked';
        if (clientGone) return 'client_closed';
        if (params.streamLimit && sent >= params.streamLimit) return 'stream_limit';
      }
      // Offsets passed as gone, with no event to carry the news: say so now.
      if (s.skipped && !s.buffer.length) {
        await write({ cursor: cursor(p, s.next - 1, null), skipped: s.skipped });
        s.skipped = null;
      }
    }

    // Keep-alive: the idle partitions' cursors, past any events the subscription does not want.
    if (Date.now() - lastWrite >= params.batchFlushTimeoutMs) {
      for (const [p, s] of parts) if (!s.buffer.length) await write({ cursor: cursor(p, s.next - 1, null) });
      lastWrite = Date.now();
    }

    if (!progressed) await Promise.race([new Promise((r) => setTimeout(r, POLL_MS)), gone, nextAppend(models.StreamOffsetClaim)]);
  }
}

function view(e: LogEvent) {
  return { id: publicEventId(e._id), type: e.type, occurredAt: e.occurredAt, entityIds: e.entityIds, data: eventData(e) };
}
