/**
 * CPU time and memory of the stack's processes, read from Linux /proc: utime+stime of every
 * thread of a process (/proc/<pid>/stat) and its resident set (/proc/<pid>/statm).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface TrackedProcess {
  name: string;
  pid: number;
  /**
   * Count the process with all its descendants (PostgreSQL: the postmaster forks a backend per
   * connection): CPU includes the reaped children's (cutime+cstime), memory counts the shared
   * buffers every backend maps once (treeMemoryBytes).
   */
  tree?: boolean;
}

/** The pid and its live descendants (from /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean)) walk(Number(c));
      } catch {
        // gone meanwhile
      }
    }
  };
  walk(pid);
  return out;
}

/** CPU ms of a process tree: every live member's own, plus what reaped children used (cutime+cstime). */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  let found = false;
  for (const p of processTree(pid)) {
    try {
      const text = readFileSync(`/proc/${p}/stat`, 'utf8');
      const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime: fields 14-17.
      ticks += Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
      found = true;
    } catch {
      // ended between the listing and the read
    }
  }
  return found ? (ticks * 1000) / CLK_TCK : NaN;
}

/**
 * Memory of a process tree in bytes: the root's resident set plus each descendant's private part
 * (resident minus shared pages, from statm), so the shared memory every PostgreSQL backend maps is
 * counted once, with the postmaster. Close to the tree's PSS, and cheap enough to sample every
 * 100 ms (reading smaps_rollup that often cost the bench's own process a quarter of a core).
 */
export function treeMemoryBytes(pid: number): number {
  let pages = 0;
  for (const p of processTree(pid)) {
    try {
      const [, resident, shared] = readFileSync(`/proc/${p}/statm`, 'utf8').split(' ').map(Number);
      pages += p === pid ? resident : Math.max(0, resident - shared);
    } catch {
      // ended meanwhile
    }
  }
  return pages * PAGE_SIZE;
}

function sysconf(name: string, fallback: number): number {
  try {
    return Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim()) || fallback;
  } catch {
    return fallback;
  }
}

const CLK_TCK = sysconf('CLK_TCK', 100);
const PAGE_SIZE = sysconf('PAGESIZE', 4096);

/** Fields of /proc/<pid>/stat after the `(comm)` field, which may itself hold spaces or parens. */
export function parseStat(text: string): { comm: string; utime: number; stime: number } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  return { comm: text.slice(open + 1, close), utime: Number(rest[11]), stime: Number(rest[12]) };
}

/** CPU milliseconds (user + system) the process has used since it started; NaN once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const { utime, stime } = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return ((utime + stime) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/**
 * CPU milliseconds per thread of one process, grouped by thread name (`comm`): where inside Node
 * the time goes. The main thread (tid = pid) is `main`; Node's other JS threads (worker threads,
 * such as the SDK's workflow thread) inherit the name `node`; Temporal core's threads are named by
 * Rust (`tokio-runtime-w`, `workflow-proces`...).
 */
export function cpuMsByThread(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const { comm, utime, stime } = parseStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      const name = tid === String(pid) ? 'main' : comm;
      out.set(name, (out.get(name) ?? 0) + ((utime + stime) * 1000) / CLK_TCK);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** CPU ms each thread name used between two `cpuMsByThread` readings: those that used any, largest first. */
export function threadCpuDelta(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  return [...after]
    .map(([thread, ms]): [string, number] => [thread, ms - (before.get(thread) ?? 0)])
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1]);
}

/** Resident set size in bytes; 0 once the process is gone. */
export function rssBytes(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE;
  } catch {
    return 0;
  }
}

export type CpuSnapshot = Map<string, number>;

export function cpuSnapshot(procs: readonly TrackedProcess[]): CpuSnapshot {
  return new Map(procs.map((p) => [p.name, p.tree ? treeCpuMs(p.pid) : cpuMs(p.pid)]));
}

/** Per process and `total`: CPU ms used between two snapshots. */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  let total = 0;
  for (const [name, end] of after) {
    const used = end - (before.get(name) ?? NaN);
    out.set(name, used);
    total += used;
  }
  out.set('total', total);
  return out;
}

/**
 * Samples the RSS of every process every `intervalMs`; `peaks()` gives the maximum of each process
 * and of their sum (the sum's peak is not the sum of the peaks) since the last `reset()` (one
 * phase) or since `start()` (the whole run).
 */
export class MemorySampler {
  private peak = new Map<string, number>();
  private runPeak = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly procs: readonly TrackedProcess[],
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  reset(): void {
    this.peak.clear();
    this.sample();
  }

  peaks(scope: 'phase' | 'run' = 'phase'): Map<string, number> {
    this.sample();
    return new Map(scope === 'phase' ? this.peak : this.runPeak);
  }

  private sample(): void {
    const now = new Map<string, number>();
    let total = 0;
    for (const p of this.procs) {
      const rss = p.tree ? treeMemoryBytes(p.pid) : rssBytes(p.pid);
      total += rss;
      now.set(p.name, rss);
    }
    now.set('total', total);
    for (const peak of [this.peak, this.runPeak]) for (const [k, v] of now) peak.set(k, Math.max(peak.get(k) ?? 0, v));
  }
}
