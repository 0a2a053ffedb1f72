/**
 * Top self time in V8 CPU profiles: `npx tsx scripts/cpu-profile-summary.ts <file.cpuprofile | dir>...
 * [--top N]`. A directory means every .cpuprofile in it (node --cpu-prof writes one per thread:
 * the main thread and each worker thread, e.g. Temporal's workflow threads); they are summed, and
 * each file's own busy time is listed first. `--window START-END` (µs, monotonic clock) keeps only
 * the samples of one phase: the bench prints `<phase>.hrtime_window_us` for that.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { addSelfTimes, emptySelfTimes, top, type CpuProfile } from './bench/cpu-profile';

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' }, window: { type: 'string' } }, allowPositionals: true });
const n = Number(values.top);
const window = values.window ? (values.window.split('-').map(Number) as [number, number]) : undefined;
if (window && (window.length !== 2 || window.some((x) => !Number.isFinite(x)))) {
  process.stderr.write('--window must be START-END in microseconds, as the bench prints it\n');
  process.exit(2);
}
if (positionals.length === 0) {
  process.stderr.write('usage: npx tsx scripts/cpu-profile-summary.ts <file.cpuprofile | dir>... [--top N] [--window START-END]\n');
  process.exit(2);
}
const files = positionals.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => f.endsWith('.cpuprofile'))
        .sort()
        .map((f) => path.join(p, f))
    : [p],
);
const root = path.resolve(__dirname, '..');
const all = emptySelfTimes();
const ms = (us: number) => (us / 1000).toFixed(0).padStart(8);
const lines: string[] = [];
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const one = addSelfTimes(profile, emptySelfTimes(), root, window);
  addSelfTimes(profile, all, root, window);
  lines.push(`profile ${path.basename(file)}: sampled ${ms(one.totalUs).trim()} ms, busy ${ms(one.totalUs - one.idleUs).trim()} ms`);
}
const busy = all.totalUs - all.idleUs;
const pct = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)}%`;
lines.push(`total busy: ${(busy / 1000).toFixed(0)} ms over ${files.length} profile(s) (idle ${(all.idleUs / 1000).toFixed(0)} ms left out)`);
for (const [title, m] of [
  ['functions by self time', all.byFunction],
  ['packages by self time', all.byPackage],
  ['files by self time', all.byFile],
] as const) {
  lines.push('', `top ${title} (ms, % of busy):`);
  for (const [k, us] of top(m, n)) lines.push(`${ms(us)} ${pct(us)}  ${k}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
