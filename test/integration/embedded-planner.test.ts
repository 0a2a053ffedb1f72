/**
 * The embedded store's planner (src/embedded/ferretdb-patches/herald_plan.go) returns exactly what
 * MongoDB's semantics say: for filters, sorts and limits of the shapes Herald sends (equality,
 * null, $in, ranges on ids and dates, $and, unindexed fields, $or it leaves to memory), the
 * documents a find returns are compared with the same query evaluated in memory (sift) over every
 * document. A planner that drops a row (a LIMIT pushed down over a partial WHERE, a range that
 * sorts as text differently than as values) fails here, whatever the plan.
 */
import sift from 'sift';
import type { Collection, Document } from 'mongodb';
import { startTestHerald, type TestHerald } from '../helpers/herald';

let h: TestHerald;
let col: Collection<Document>;
const docs: Document[] = [];

beforeAll(async () => {
  h = await startTestHerald({ worker: false });
  col = h.db.connection.collection('plannercheck');
  await col.createIndexes([
    { key: { accountId: 1, status: 1, _id: -1 } },
    { key: { accountId: 1, _id: -1 } },
    { key: { accountId: 1, at: -1, _id: -1 } },
    { key: { dispatchedAt: 1, at: 1 } },
    { key: { accountId: 1, code: 1, _id: -1 } },
  ]);
  const base = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 600; i++) {
    const doc: Document = {
      _id: `ntf_${(base + i * 7919).toString(36).padStart(9, '0')}${String(i).padStart(4, '0')}`,
      accountId: ['default', 'acc_b', 'acc_c'][i % 3],
      status: ['sent', 'failed', 'pending', 'retrying'][i % 4],
      at: new Date(base + ((i * 37) % 200) * 60_000),
      code: [200, 404, 503][i % 3],
      note: `n${i % 5}`,
    };
    if (i % 7 === 0) doc.dispatchedAt = null;
    else if (i % 11 !== 0) doc.dispatchedAt = new Date(base + i);
    // else: dispatchedAt missing, which `null` also matches
    docs.push(doc);
  }
  await col.insertMany(docs);
});
afterAll(async () => h?.stop());

const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1) + minutes * 60_000);

function compare(a: unknown, b: unknown): number {
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
}

function inMemory(filter: Document, sort: Record<string, 1 | -1>, limit: number): string[] {
  const matched = docs.filter(sift(filter));
  const keys = Object.entries(sort);
  matched.sort((x, y) => {
    for (const [k, dir] of keys) {
      const c = compare(x[k], y[k]);
      if (c !== 0) return c * dir;
    }
    return 0;
  });
  return (limit ? matched.slice(0, limit) : matched).map((d) => d._id as string);
}

const CASES: Array<[string, Document, Record<string, 1 | -1>, number]> = [
  ['account, newest first', { accountId: 'acc_b' }, { _id: -1 }, 25],
  ['account and status', { accountId: 'default', status: 'failed' }, { _id: -1 }, 10],
  ['status $in', { accountId: 'acc_c', status: { $in: ['failed', 'sent'] } }, { _id: -1 }, 30],
  ['id range, both sides', { accountId: 'default', _id: { $lt: docs[500]?._id ?? 'ntf_z', $gte: 'ntf_0' } }, { _id: -1 }, 20],
  ['date range and sort by date', { accountId: 'acc_b', at: { $gte: at(20), $lt: at(120) } }, { at: -1, _id: -1 }, 15],
  ['date equality, then id', { accountId: 'default', at: at(37) }, { _id: -1 }, 5],
  ['null matches null and missing', { dispatchedAt: null, at: { $lt: at(150) } }, { at: 1, _id: 1 }, 0],
  ['number equality', { accountId: 'acc_c', code: 503 }, { _id: -1 }, 12],
  ['unindexed field: filtered in memory, limit not pushed', { accountId: 'default', note: 'n3' }, { _id: -1 }, 7],
  ['$and of ranges', { $and: [{ accountId: 'acc_b' }, { _id: { $gt: 'ntf_0' } }, { at: { $lte: at(100) } }] }, { _id: 1 }, 9],
  ['$or stays in memory', { accountId: 'default', $or: [{ status: 'sent' }, { code: 404 }] }, { _id: -1 }, 11],
  ['$ne stays in memory', { accountId: 'acc_c', status: { $ne: 'sent' } }, { _id: -1 }, 13],
  ['sort on an unindexed field', { accountId: 'acc_b' }, { note: 1, _id: 1 }, 8],
];

test.each(CASES)('%s', async (_name, filter, sort, limit) => {
  const expected = inMemory(filter, sort, limit);
  expect(expected.length).toBeGreaterThan(0);
  let cursor = col.find(filter, { projection: { _id: 1 } }).sort(sort);
  if (limit) cursor = cursor.limit(limit);
  const got = (await cursor.toArray()).map((d) => d._id as unknown as string);
  expect(got).toEqual(expected);
});
