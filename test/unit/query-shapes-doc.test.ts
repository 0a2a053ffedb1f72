/**
 * docs/indexes.md is generated from the query-shape registry and the models' indexes
 * (scripts/query-shapes-doc.ts): a shape or an index added without regenerating it fails here.
 */
import { readFileSync } from 'node:fs';
import { INDEX_DOC, indexDoc } from '../../scripts/query-shapes-doc';
import { QUERY_SHAPES } from '../../src/models/query-shapes';

test('docs/indexes.md is up to date with the registry (npx tsx scripts/query-shapes-doc.ts)', () => {
  expect(readFileSync(INDEX_DOC, 'utf8')).toBe(indexDoc());
});

test('every shape is in it, by name, once', () => {
  const doc = readFileSync(INDEX_DOC, 'utf8');
  const names = QUERY_SHAPES.map((s) => s.name);
  expect(new Set(names).size).toBe(names.length);
  for (const name of names) expect(doc).toContain(`| \`${name}\` |`);
});
