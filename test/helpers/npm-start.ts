/**
 * `npm start` as a user runs it, for tests: src/main.ts in its own process with the embedded
 * services, its printed URLs and key, its service children, and a clean SIGINT stop.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface Started {
  proc: ChildProcess;
  output: () => string;
  apiUrl: string;
  apiKey: string;
  uiUrl: string;
  consoleUrl: string;
}

export async function startHerald(env: NodeJS.ProcessEnv): Promise<Started> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((resolve, reject) => {
    // Never leave it running: a test that gives up on it kills it (its services die with it).
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`npm start did not come up:\n${out}`));
    }, 90_000);
    const check = () => {
      if (out.includes('Press Ctrl-C')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
  });
  const line = (label: string) => new RegExp(`${label}:\\s+(\\S+)`).exec(out)?.[1] ?? '';
  return { proc, output: () => out, apiUrl: line('API'), apiKey: line('API key'), uiUrl: line('Temporal Web UI'), consoleUrl: line('Console') };
}

/** The embedded services among the process's children, by command name. */
export function servicePids(pid: number): Record<string, number> {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' });
  const found: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const [p, comm] = line.trim().split(/\s+/);
    if (comm === 'temporal' || comm === 'ferretdb') found[comm] = Number(p);
  }
  return found;
}

/** Running, not merely a zombie waiting for init to reap it (which signal 0 still reaches). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGINT, then the exit code and the service pids it had. */
export async function stopHerald(s: Started): Promise<{ code: number | null; children: Record<string, number> }> {
  const children = servicePids(s.proc.pid!);
  const exited = new Promise<number | null>((r) => s.proc.once('exit', (code) => r(code)));
  s.proc.kill('SIGINT');
  return { code: await exited, children };
}
