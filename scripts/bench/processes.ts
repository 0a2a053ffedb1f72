/**
 * The scale-out shape for `npm run bench -- --workers N`: the API (`src/api.ts`) and N workers
 * (`src/worker.ts`) as separate processes against the bench's Temporal and FerretDB, as
 * test/integration/scale-out.test.ts runs them. Their CPU and memory are tracked like the
 * embedded services'. The API process holds no worker, so starts are never eager here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { generateEncryptionKey } from '../../src/crypto/secrets';
import { freePort } from '../../src/embedded/child-process';
import type { TrackedProcess } from './proc';

const ROOT = path.resolve(__dirname, '..', '..');

export interface HeraldProcesses {
  url: string;
  apiKey: string;
  processes: TrackedProcess[];
  stop(): Promise<void>;
}

export async function startHeraldProcesses(opts: {
  workers: number;
  temporalAddress: string;
  mongodbUri: string;
  dataDir: string;
  log: (line: string) => void;
}): Promise<HeraldProcesses> {
  const apiKey = `bench-${randomBytes(12).toString('hex')}`;
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: opts.temporalAddress,
    MONGODB_URI: opts.mongodbUri,
    HERALD_API_KEYS: apiKey,
    // Every process must share the key that seals secrets (and so signing secrets).
    HERALD_ENCRYPTION_KEY: generateEncryptionKey(),
    HERALD_ALLOW_PRIVATE_DESTINATIONS: 'true',
    HERALD_DATA_DIR: opts.dataDir,
    HERALD_LOG_LEVEL: 'warn',
  };
  const children: Array<{ name: string; child: ChildProcess }> = [];
  const run = (name: string, entry: string, extra: Record<string, string>) => {
    // Under `--cpu-prof-dir` (bench.ts sets HERALD_BENCH_CPU_PROF to it), each process profiles itself into <dir>/<name>.
    const profileDir = process.env.HERALD_BENCH_CPU_PROF;
    const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, name)}`] : [];
    const child = spawn(process.execPath, [...prof, '--import', 'tsx', entry], { cwd: ROOT, env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (chunk: Buffer) => opts.log(`[${name}] ${chunk.toString().trimEnd()}`));
    children.push({ name, child });
  };
  const apiPort = await freePort();
  run('api', 'src/api.ts', { PORT: String(apiPort) });
  const metrics: string[] = [];
  for (let i = 1; i <= opts.workers; i++) {
    const port = await freePort();
    metrics.push(`http://127.0.0.1:${port}/metrics`);
    // Run from sources, each worker bundles its workflows at start (as `npm run worker` does).
    run(`worker${i}`, 'src/worker.ts', { HERALD_WORKER_METRICS_PORT: String(port) });
  }
  const url = `http://127.0.0.1:${apiPort}`;
  const up = (u: string) => fetch(u).then((r) => r.ok, () => false);
  const deadline = Date.now() + 120_000;
  while (!((await up(`${url}/readyz`)) && (await Promise.all(metrics.map(up))).every(Boolean))) {
    const dead = children.find((c) => c.child.exitCode !== null);
    if (dead) throw new Error(`bench: ${dead.name} exited with ${dead.child.exitCode} during start-up`);
    if (Date.now() > deadline) throw new Error('bench: the API and worker processes were not ready within 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    apiKey,
    processes: children.map(({ name, child }) => ({ name, pid: child.pid! })),
    async stop() {
      await Promise.all(
        children.map(({ child }) => new Promise<void>((r) => (child.exitCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGTERM'))))),
      );
    },
  };
}
