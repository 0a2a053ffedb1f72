/**
 * `npm run bench -- --versions N`: the bench's event types get N declared versions, each renaming
 * one field of the previous (and a schema each, so posting also validates), and the webhooks are
 * pinned to the first version, so every delivery's data is converted down through N-1 changes at
 * fan-out. Compare its `cpu_ms_per_delivery` with a run without the option.
 *
 * `npx tsx scripts/bench/versions.ts [N]` measures the pure part alone: validation and conversion
 * CPU per event, no stack needed.
 */
import { convertData, type ChainLink } from '../../src/versions/convert';
import { compileSchema, schemaIssues } from '../../src/versions/schema-cache';
import { resolveTarget } from '../../src/versions/semver-order';

export const fieldOf = (k: number) => `field${k}`;
export const versionOf = (k: number) => `${k}.0.0`;

/** The body of `PUT .../versions/{k}.0.0` (k from 1). */
export function versionBody(k: number) {
  const schema = {
    type: 'object',
    properties: { i: { type: 'integer' }, amount: { type: 'number' }, client: { type: 'string' }, [fieldOf(k)]: { type: 'string' } },
    required: ['i', fieldOf(k)],
  };
  return k === 1 ? { schema } : { schema, changes: [{ op: 'rename', from: fieldOf(k - 1), to: fieldOf(k) }] };
}

/** Declares the versions through the API. */
export async function declareVersions(api: (method: string, p: string, body: unknown) => Promise<unknown>, types: string[], n: number): Promise<void> {
  for (const type of types) for (let k = 1; k <= n; k++) await api('PUT', `/v1/event-types/${type}/versions/${versionOf(k)}`, versionBody(k));
}

/** Event data as posted in the newest of n versions. */
export function dataAt(n: number, i: number): Record<string, unknown> {
  return { i, amount: i * 10, client: `client-${i % 50}`, ...(n > 0 ? { [fieldOf(n)]: `value-${i}` } : {}) };
}

function microbench(n: number, iterations: number): { validateUs: number; convertUs: number } {
  const chain: ChainLink[] = Array.from({ length: n }, (_, j) => ({ version: versionOf(j + 1), changes: (versionBody(j + 1).changes ?? []) as ChainLink['changes'] }));
  const compiled = compileSchema(versionBody(n).schema);
  const target = resolveTarget(chain.map((l) => l.version), versionOf(1));
  const time = (fn: (i: number) => void) => {
    for (let i = 0; i < 1000; i++) fn(i);
    const start = process.cpuUsage();
    for (let i = 0; i < iterations; i++) fn(i);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / iterations;
  };
  return {
    validateUs: time((i) => schemaIssues(compiled, dataAt(n, i))),
    convertUs: time((i) => convertData(dataAt(n, i), chain, versionOf(n), target)),
  };
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 10);
  const { validateUs, convertUs } = microbench(n, 50_000);
  console.log(`versions: ${n}`);
  console.log(`validate_us_per_event: ${validateUs.toFixed(2)}`);
  console.log(`convert_us_per_delivery (through ${n - 1} changes): ${convertUs.toFixed(2)}`);
}
