/**
 * Self time from V8 .cpuprofile files (what `node --cpu-prof` writes): by function, by package
 * (the node_modules package, `node:` internals, Herald's own files), and by file. Pure; the CLI is
 * scripts/cpu-profile-summary.ts.
 */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTimes {
  /** Sampled microseconds, idle included. */
  totalUs: number;
  idleUs: number;
  byFunction: Map<string, number>;
  byPackage: Map<string, number>;
  byFile: Map<string, number>;
}

const META = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Where a script URL belongs: `mongodb`, `@temporalio/worker`, `node:internal/streams`, `herald:src/db.ts`. */
export function packageOf(url: string, functionName: string, root = ''): string {
  if (!url) return META.has(functionName) ? functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return `herald:${fileOf(url, root)}`;
}

export function fileOf(url: string, root = ''): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const plain = url.replace(/^file:\/\//, '');
  return root && plain.startsWith(root) ? plain.slice(root.length).replace(/^\//, '') : plain;
}

/**
 * Adds one profile's self times into `into` (several threads' profiles sum up). `window` keeps only
 * samples taken between two monotonic-clock times in µs (V8 stamps samples with the same clock as
 * process.hrtime, so the bench can print a phase's window: `throughput.hrtime_window_us`).
 */
export function addSelfTimes(profile: CpuProfile, into: SelfTimes = emptySelfTimes(), root = '', window?: [number, number]): SelfTimes {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    // The time until the next sample belongs to this one (as DevTools counts it).
    const us = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
    if (us <= 0) continue;
    if (window && (at < window[0] || at > window[1])) continue;
    const frame = byId.get(profile.samples[i]);
    if (!frame) continue;
    into.totalUs += us;
    if (frame.functionName === '(idle)') {
      into.idleUs += us;
      continue;
    }
    const name = frame.functionName || '(anonymous)';
    const where = frame.url ? `${fileOf(frame.url, root)}:${frame.lineNumber + 1}` : '';
    add(into.byFunction, where ? `${name} ${where}` : name, us);
    add(into.byPackage, packageOf(frame.url, frame.functionName, root), us);
    if (frame.url) add(into.byFile, fileOf(frame.url, root), us);
    else add(into.byFile, META.has(frame.functionName) ? frame.functionName : '(native)', us);
  }
  return into;
}

export function emptySelfTimes(): SelfTimes {
  return { totalUs: 0, idleUs: 0, byFunction: new Map(), byPackage: new Map(), byFile: new Map() };
}

export function top(m: Map<string, number>, n: number): Array<[string, number]> {
  return [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
}
