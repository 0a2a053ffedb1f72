/**
 * Every registered query shape (src/models/query-shapes.ts) is answered from its index on the
 * embedded store: the plan of each is an index search (never a SCAN of the table), a sorted and
 * limited shape is read in index order with its limit pushed down (no temporary sort of every
 * match), and the index named is the one SQLite picks. Collections hold a few thousand documents,
 * so a plan that scans would read them all (SQLite's planner has no statistics either way: the plan
 * is the same at a million). Also checks that every indexed path holds scalars in its schema, the
 * one assumption the embedded store's planner makes (src/embedded/ferretdb-patches/herald_plan.go).
 */
import type { Model, Schema, SchemaType } from 'mongoose';
import { acrossAccounts, inAccount } from '../../src/accounts/scope';
import { indexName, QUERY_SHAPES, type QueryShape } from '../../src/models/query-shapes';
import { startTestHerald, type TestHerald } from '../helpers/herald';

let h: TestHerald;
beforeAll(async () => {
  h = await startTestHerald({ worker: false });
  // Enough documents that a scan would show in time; the plan itself does not depend on them.
  for (const model of new Set(QUERY_SHAPES.map((s) => s.model))) {
    const docs = Array.from({ length: 2000 }, (_, i) => ({ _id: `seed_${String(i).padStart(6, '0')}`, accountId: i % 2 ? 'default' : 'acc_other' }));
    await h.models[model].collection.insertMany(docs as never[], { ordered: false });
  }
});
afterAll(async () => h?.stop());

interface Explained {
  filterPushdown: boolean;
  sortPushdown: boolean;
  limitPushdown: boolean;
  queryPlanner: { Plan?: string[] };
}

async function explain(shape: QueryShape): Promise<Explained> {
  const model = h.models[shape.model] as unknown as Model<unknown>;
  const run = () => {
    let q = model.find(shape.filter);
    if (shape.sort) q = q.sort(shape.sort);
    if (shape.limit) q = q.limit(shape.limit);
    return q.explain() as unknown as Promise<Explained>;
  };
  return shape.acrossAccounts ? acrossAccounts(run) : inAccount('default', run);
}

test.each(QUERY_SHAPES.map((s) => [s.name, s] as const))('%s is an index search', async (_name, shape) => {
  const plan = await explain(shape);
  const lines = (plan.queryPlanner.Plan ?? []).map((l) => l.replace(/^.*detail=/, ''));
  expect(plan.filterPushdown).toBe(true);
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(line).not.toMatch(/^SCAN /);
  expect(lines.join('\n')).toMatch(/SEARCH .* USING (COVERING )?INDEX/);
  const used = lines.join('\n');
  const index = indexName(shape.index);
  if (index === '_id_1') expect(used).toMatch(/USING (COVERING )?INDEX \S+__id_ \(/);
  else expect(used).toContain(`_${index} (`);
  if (shape.sort && shape.limit) {
    expect(lines).not.toContain('USE TEMP B-TREE FOR ORDER BY');
    expect(plan.sortPushdown).toBe(true);
    // A condition left in memory (said so in the shape) reads in index order and stops at the limit.
    expect(plan.limitPushdown).toBe(!shape.inMemory);
  }
});

test('every registered index is declared on its model', () => {
  for (const shape of QUERY_SHAPES) {
    if (indexName(shape.index) === '_id_1') continue;
    const declared = (h.models[shape.model].schema.indexes() as Array<[Record<string, number>, unknown]>).map(([keys]) => JSON.stringify(keys));
    expect({ shape: shape.name, has: declared.includes(JSON.stringify(shape.index)) }).toEqual({ shape: shape.name, has: true });
  }
});

test('every indexed path holds scalars (the embedded planner compares whole values)', () => {
  for (const [name, model] of Object.entries(h.models)) {
    for (const [keys] of model.schema.indexes() as Array<[Record<string, number>, unknown]>) {
      for (const path of Object.keys(keys)) {
        const type = (model.schema as Schema).path<SchemaType>(path)?.instance ?? (path === '_id' ? 'String' : 'missing');
        expect({ model: name, path, array: type === 'Array' }).toEqual({ model: name, path, array: false });
      }
    }
  }
});
