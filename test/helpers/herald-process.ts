/**
 * Herald roles in their own processes, for crash tests that SIGKILL them: the API is the real
 * `npm run api` entry (src/api.ts: the HTTP API plus its dispatch sweeper), the worker is
 * test/helpers/worker-process.ts (`npm run worker` with the test run's prebuilt workflow bundle).
 * Both run from sources through tsx, configured only by the environment given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { generateEncryptionKey } from '../../src/crypto/secrets';

const ROOT = path.resolve(__dirname, '..', '..');

export interface HeraldProcess {
  child: ChildProcess;
  /** What it wrote to stderr (and, for the API, its log lines on stdout), for failure messages. */
  output(): string;
  /** Resolves once the process has exited (at once if it already has). */
  exited(): Promise<void>;
}

function start(file: string, env: NodeJS.ProcessEnv): HeraldProcess & { stdout: readline.Interface } {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, file)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (c: Buffer) => {
    output = (output + c.toString()).slice(-20_000);
  };
  child.stderr!.on('data', keep);
  const stdout = readline.createInterface({ input: child.stdout! });
  stdout.on('line', (line) => keep(Buffer.from(`${line}\n`)));
  return {
    child,
    stdout,
    output: () => output,
    exited: () => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()))),
  };
}

/** SIGKILLs those of these processes that still run and waits until each has exited; one never started (undefined) is passed over. */
export async function killProcesses(processes: Array<HeraldProcess | undefined>): Promise<void> {
  for (const p of processes) {
    if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p?.exited();
  }
}

/**
 * Rejects when the process exits before `ready` settles, or after `timeoutMs`, with its output;
 * a process that did not get ready is killed (no orphan).
 */
async function untilReady<T>(p: HeraldProcess, what: string, ready: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const onExit = () => Promise.reject(new Error(`${what} exited (${p.child.exitCode ?? p.child.signalCode}): ${p.output()}`));
  try {
    return await Promise.race([
      ready,
      p.exited().then(onExit),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} not ready after ${timeoutMs} ms: ${p.output()}`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    p.child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** A worker process; resolves once it polls the task queue (its `{"ready": true}` line). */
export async function spawnWorkerProcess(env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<HeraldProcess & { metrics: string | null }> {
  const p = start('test/helpers/worker-process.ts', env);
  const ready = new Promise<{ metrics: string | null }>((resolve) => {
    p.stdout.on('line', (line) => {
      if (line.startsWith('{"ready"')) resolve(JSON.parse(line));
    });
  });
  const { metrics } = await untilReady(p, 'worker', ready, timeoutMs);
  return { child: p.child, output: p.output, exited: p.exited, metrics };
}

/** An API process (`npm run api`) on `env.PORT`; resolves once `GET /readyz` answers 200. */
export async function spawnApiProcess(env: NodeJS.ProcessEnv & { PORT: string }, timeoutMs = 60_000): Promise<HeraldProcess & { url: string }> {
  const p = start('src/api.ts', env);
  const url = `http://127.0.0.1:${env.PORT}`;
  let stopped = false;
  const ready = (async () => {
    while (!stopped) {
      const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    await untilReady(p, 'API', ready, timeoutMs);
  } finally {
    stopped = true;
  }
  return { child: p.child, output: p.output, exited: p.exited, url };
}

/**
 * The environment of the API and worker processes a multi-process test spawns against its own
 * stack: shared key and encryption key, private destinations allowed (the receiver is on loopback),
 * and a dispatch sweeper that takes a left-over event over 2 s after it was stored, looking every second.
 */
export function heraldProcessEnv(o: { port: number; temporalAddress: string; mongodbUri: string; taskQueue: string; apiKey: string; dataDir: string }): NodeJS.ProcessEnv & { PORT: string } {
  return {
    PORT: String(o.port),
    TEMPORAL_ADDRESS: o.temporalAddress,
    MONGODB_URI: o.mongodbUri,
    HERALD_TASK_QUEUE: o.taskQueue,
    HERALD_API_KEYS: o.apiKey,
    HERALD_ENCRYPTION_KEY: generateEncryptionKey(),
    HERALD_ALLOW_PRIVATE_DESTINATIONS: 'true',
    HERALD_DATA_DIR: o.dataDir,
    HERALD_LOG_LEVEL: 'warn',
    HERALD_DISPATCH_SWEEP_INTERVAL: '1s',
    HERALD_DISPATCH_SWEEP_GRACE: '2s',
  };
}
