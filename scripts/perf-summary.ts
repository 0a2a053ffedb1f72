/**
 * Where a Go service's CPU goes, from a Linux `perf` recording (README "Performance": the Temporal
 * dev server offers no pprof endpoint, but its binary keeps Go symbols):
 *
 *   perf record -F 499 -g -p <temporal pid> -o perf.data -- sleep 20
 *   perf script -i perf.data | npx tsx scripts/perf-summary.ts
 *
 * Prints, for each category, the share of samples whose stack contains it (inclusive: one sample
 * can count in several), then the packages with the most self time (the sampled frame itself).
 */
import { createInterface } from 'node:readline';
import { inclusiveShare, parsePerfScript, selfByPackage } from './bench/perf-script';

const CATEGORIES: Array<[string, RegExp]> = [
  ['SQLite (modernc.org/sqlite, the dev server store)', /modernc\.org\/sqlite/],
  ['visibility writes and reads', /[Vv]isibility/],
  ['history service', /go\.temporal\.io\/server\/service\/history/],
  ['history task queues (transfer, timer, visibility tasks)', /service\/history\/queues|service\/history\/.*[Tt]ask[Ee]xecutor/],
  ['UpdateWorkflowExecution', /UpdateWorkflowExecution/],
  ['CreateWorkflowExecution', /CreateWorkflowExecution/],
  ['matching service', /go\.temporal\.io\/server\/service\/matching/],
  ['frontend service', /go\.temporal\.io\/server\/service\/frontend/],
  ['gRPC', /google\.golang\.org\/grpc/],
  ['protobuf', /google\.golang\.org\/protobuf/],
  ['Go garbage collector', /runtime\.gcBgMarkWorker|runtime\.gcAssistAlloc|runtime\.gcDrain/],
  ['metrics', /metrics|prometheus|tally/],
];

async function main(): Promise<void> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: process.stdin })) lines.push(line);
  const samples = parsePerfScript(lines);
  if (samples.length === 0) throw new Error('no samples on standard input (pipe `perf script -i perf.data` into this)');
  const pct = (share: number) => `${(100 * share).toFixed(1).padStart(5)} %`;
  console.log(`samples: ${samples.length}`);
  console.log('\ninclusive (stack contains):');
  for (const [name, re] of CATEGORIES) console.log(`${pct(inclusiveShare(samples, re))}  ${name}`);
  console.log('\nself time by package:');
  for (const [name, n] of selfByPackage(samples).slice(0, 12)) console.log(`${pct(n / samples.length)}  ${name}`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
