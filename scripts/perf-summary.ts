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

/** `perf script` prints one header line per sample, then its frames indented, then a blank line. */
async function readSamples(): Promise<string[][]> {
  const samples: string[][] = [];
  let frames: string[] | null = null;
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) {
      if (frames?.length) samples.push(frames);
      frames = null;
    } else if (/^\s/.test(line)) {
      // "\t  4a1b2c modernc.org/sqlite/lib._sqlite3VdbeExec+0x1f (/path/to/temporal)"
      const symbol = line.trim().split(/\s+/)[1];
      if (frames && symbol) frames.push(symbol.replace(/\+0x[0-9a-f]+$/, ''));
    } else {
      frames = [];
    }
  }
  if (frames?.length) samples.push(frames);
  return samples;
}

function packageOf(symbol: string): string {
  if (!symbol.includes('/')) return symbol.split('.')[0];
  return symbol.slice(0, symbol.indexOf('.', symbol.lastIndexOf('/'))).split('/').slice(0, 4).join('/');
}

async function main(): Promise<void> {
  const samples = await readSamples();
  if (samples.length === 0) throw new Error('no samples on standard input (pipe `perf script -i perf.data` into this)');
  const pct = (n: number) => `${((100 * n) / samples.length).toFixed(1).padStart(5)} %`;
  console.log(`samples: ${samples.length}`);
  console.log('\ninclusive (stack contains):');
  for (const [name, re] of CATEGORIES) console.log(`${pct(samples.filter((s) => s.some((f) => re.test(f))).length)}  ${name}`);
  const self = new Map<string, number>();
  for (const s of samples) self.set(packageOf(s[0]), (self.get(packageOf(s[0])) ?? 0) + 1);
  console.log('\nself time by package:');
  for (const [name, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${pct(n)}  ${name}`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
