/** The Streaming API's pure parts: partition choice, cursor tokens, partition assignment. */
import fc from 'fast-check';
import { partitionOf, STREAM_PARTITIONS } from '../../src/stream/partition';
import { cursorToken, verifyCursorToken } from '../../src/stream/cursor-token';
import { partitionsOf } from '../../src/stream/assignment';

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
