/** The Streaming API's pure parts: partition choice, cursor tokens, partition assignment. */
import fc from 'fast-check';
import { partitionOf, STREAM_PARTITIONS } from '../../src/stream/partition';
import { cursorToken, verifyCursorToken } from '../../src/stream/cursor-token';
import { partitionsOf } from '../../src/stream/assignment';
import { walkWindow, type Claim, type LogEvent } from '../../src/stream/log-reader';
import { GAP_TIMEOUT_MS } from '../../src/stream/log';

test('an entity always lands in one partition, chosen by its first entity id, else the event id', () => {
  fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (entity, other, id) => {
    const p = partitionOf([entity, other], id);
    expect(p).toBe(partitionOf([entity], `${id}x`));
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(STREAM_PARTITIONS);
  }));
  expect(partitionOf([], 'evt_1')).toBe(partitionOf(['evt_1'], 'whatever'));
  // Spread: 1,000 entities fill every partition.
  const counts = new Array(STREAM_PARTITIONS).fill(0);
  for (let i = 0; i < 1000; i++) counts[partitionOf([`entity-${i}`], '')]++;
  for (const c of counts) expect(c).toBeGreaterThan(150);
});

test('a cursor token verifies only for its subscription, partition and offset, and only under its key', () => {
  const key = Buffer.alloc(32, 1);
  const c = { subscriptionId: 'sub_1', partition: 2, offset: 17 };
  const token = cursorToken(key, c);
  expect(verifyCursorToken(key, c, token)).toBe(true);
  expect(verifyCursorToken(key, { ...c, subscriptionId: 'sub_2' }, token)).toBe(false);
  expect(verifyCursorToken(key, { ...c, partition: 3 }, token)).toBe(false);
  expect(verifyCursorToken(key, { ...c, offset: 18 }, token)).toBe(false);
  expect(verifyCursorToken(Buffer.alloc(32, 2), c, token)).toBe(false);
  expect(verifyCursorToken(key, c, 'short')).toBe(false);
});

test('partitions are shared among the live streams by join order: each partition to exactly one of the first N', () => {
  const at = (s: number) => new Date(1_700_000_000_000 + s * 1000);
  fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 8 }), (joins) => {
    const streams = joins.map((j, i) => ({ id: `stm_${i}`, joinedAt: at(j) }));
    const owned = streams.map((s) => partitionsOf(s.id, streams, STREAM_PARTITIONS));
    expect(owned.flat().sort()).toEqual([0, 1, 2, 3]);
    const serving = owned.filter((o) => o.length > 0).length;
    expect(serving).toBe(Math.min(streams.length, STREAM_PARTITIONS));
  }));
  const a = { id: 'stm_a', joinedAt: at(1) };
  const b = { id: 'stm_b', joinedAt: at(2) };
  expect(partitionsOf('stm_a', [a], 4)).toEqual([0, 1, 2, 3]);
  expect(partitionsOf('stm_a', [b, a], 4)).toEqual([0, 2]);
  expect(partitionsOf('stm_b', [a, b], 4)).toEqual([1, 3]);
  // b leaves: a takes everything back.
  expect(partitionsOf('stm_a', [a], 4)).toEqual([0, 1, 2, 3]);
  expect(partitionsOf('stm_x', [a, b], 4)).toEqual([]);
});

describe('walking a window of the log: what is read, passed, waited for and reported gone', () => {
  const NOW = 1_000_000;
  const fresh = new Date(NOW - 100);
  const old = new Date(NOW - GAP_TIMEOUT_MS - 1);
  const event = (id: string, offset: number, partition = 0): LogEvent =>
    ({ _id: id, type: 't', occurredAt: fresh, entityIds: [], streamPartition: partition, streamOffset: offset, createdAt: fresh });
  const claim = (offset: number, eventId: string, more: Partial<Claim> = {}): Claim => ({ _id: `a:0:${offset}`, offset, eventId, at: fresh, ...more });
  const walk = (from: number, claims: Claim[], events: LogEvent[], size = 10) => {
    const byOffset = new Map(claims.map((c) => [c.offset, c]));
    const r = walkWindow({ partition: 0, from, size }, (o) => byOffset.get(o), new Map(events.map((e) => [e._id, e])), NOW);
    return { read: r.events.map((e) => e._id), next: r.next, skipped: r.skipped, sawClaims: r.sawClaims };
  };

  test('events stored at their claim are read in offset order; the end of the log stops the walk', () => {
    expect(walk(5, [claim(5, 'e5'), claim(6, 'e6')], [event('e5', 5), event('e6', 6)])).toEqual({ read: ['e5', 'e6'], next: 7, skipped: null, sawClaims: true });
    expect(walk(7, [], [])).toEqual({ read: [], next: 7, skipped: null, sawClaims: false });
  });

  test("a duplicate's claim and a skipped claim are passed at once, silently", () => {
    // e1 was accepted at offset 1; a repeat of it (same id) took offset 2 and found the duplicate.
    const r = walk(1, [claim(1, 'e1'), claim(2, 'e1'), claim(3, 'x', { skipped: true }), claim(4, 'e4')], [event('e1', 1), event('e4', 4)]);
    expect(r).toEqual({ read: ['e1', 'e4'], next: 5, skipped: null, sawClaims: true });
  });

  test('a claim whose event is not stored yet is waited for, and passed as gone once older than the gap timeout', () => {
    expect(walk(1, [claim(1, 'e1'), claim(2, 'slow'), claim(3, 'e3')], [event('e1', 1), event('e3', 3)])).toMatchObject({ read: ['e1'], next: 2, skipped: null });
    expect(walk(1, [claim(1, 'e1'), claim(2, 'dead', { at: old }), claim(3, 'e3')], [event('e1', 1), event('e3', 3)]))
      .toMatchObject({ read: ['e1', 'e3'], next: 4, skipped: { fromOffset: 2, toOffset: 2 } });
  });

  test('a missing offset below a claim is a gap: waited for while that claim is fresh, then passed as gone', () => {
    expect(walk(1, [claim(3, 'e3')], [event('e3', 3)])).toMatchObject({ read: [], next: 1, skipped: null, sawClaims: false });
    expect(walk(1, [claim(4, 'e4', { at: old }), claim(5, 'e5')], [event('e4', 4), event('e5', 5)]))
      .toMatchObject({ read: ['e4', 'e5'], next: 6, skipped: { fromOffset: 1, toOffset: 3 }, sawClaims: true });
  });

  test('an event moved by a late insert is read at its new offset only, and its new claim waits until the move lands', () => {
    // Claimed again at 8 (reappended) but the event still says 6: wait, do not pass it.
    expect(walk(7, [claim(7, 'e7'), claim(8, 'late', { reappended: true })], [event('e7', 7), event('late', 6)])).toMatchObject({ read: ['e7'], next: 8 });
    // Moved: the old claim passes it, the new one reads it.
    expect(walk(6, [claim(6, 'late'), claim(7, 'e7'), claim(8, 'late', { reappended: true })], [event('late', 8), event('e7', 7)]))
      .toMatchObject({ read: ['e7', 'late'], next: 9, skipped: null });
  });

  test('the window bounds the walk', () => {
    const claims = Array.from({ length: 20 }, (_, i) => claim(i + 1, `e${i + 1}`));
    expect(walk(1, claims, claims.map((c) => event(c.eventId!, c.offset)), 5)).toMatchObject({ read: ['e1', 'e2', 'e3', 'e4', 'e5'], next: 6 });
  });
});
