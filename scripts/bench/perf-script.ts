/**
 * Reading Linux `perf script` output (scripts/perf-summary.ts): one header line per sample, its
 * frames indented below it (leaf first), a blank line after it.
 */

/** The stacks of the samples, leaf first, symbols without their `+0x..` offsets. */
export function parsePerfScript(lines: Iterable<string>): string[][] {
  const samples: string[][] = [];
  let frames: string[] | null = null;
  for (const line of lines) {
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

/** A Go symbol's package, cut to four path segments: `go.temporal.io/server/service/history`. */
export function goPackageOf(symbol: string): string {
  if (!symbol.includes('/')) return symbol.split('.')[0];
  return symbol.slice(0, symbol.indexOf('.', symbol.lastIndexOf('/'))).split('/').slice(0, 4).join('/');
}

/** The share (0..1) of samples whose stack has a frame matching `re` (inclusive time). */
export function inclusiveShare(samples: readonly string[][], re: RegExp): number {
  if (samples.length === 0) return NaN;
  return samples.filter((s) => s.some((f) => re.test(f))).length / samples.length;
}

/** Self time: samples per package of the leaf frame, largest first. */
export function selfByPackage(samples: readonly string[][]): Array<[string, number]> {
  const self = new Map<string, number>();
  for (const s of samples) self.set(goPackageOf(s[0]), (self.get(goPackageOf(s[0])) ?? 0) + 1);
  return [...self].sort((a, b) => b[1] - a[1]);
}
