/**
 * Spawning and stopping the embedded services. Every child is tracked in one registry so that
 * whatever happens (a failed start halfway, Ctrl-C, an uncaught error, plain process exit) the
 * children are stopped: no orphan temporal or ferretdb process is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Last lines of its output, for error messages when it dies during start-up. */
  tail(): string;
  /** Resolves once it has exited and its output is read to the end (so `tail()` is complete). */
  closed: Promise<void>;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * On Linux, children are started through util-linux's `setpriv --pdeathsig KILL`, so the kernel
 * kills them even when Herald itself is SIGKILLed (no exit hook runs then). Elsewhere, or without
 * setpriv, the exit hooks below are the only guard.
 */
const SETPRIV = process.platform === 'linux' && existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null;

/**
 * The services create their own files (SQLite databases, WAL and journal files, FerretDB's
 * state): through a shell with `umask 077` they are 0600 and their directories 0700, like
 * Herald's own key files, whatever the umask Herald was started with. `exec` replaces the shell,
 * so the service keeps the child's pid (and the parent-death signal, which survives exec).
 */
const SH = process.platform === 'win32' ? null : '/bin/sh';
const UMASK_THEN_EXEC = 'umask 077 && exec "$0" "$@"';

export function startProcess(
  name: string,
  file: string,
  args: string[],
  /** `stopSignal`: what `stop()` sends first (default SIGTERM; PostgreSQL's fast shutdown is SIGINT). */
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stopSignal?: NodeJS.Signals } = {},
): ManagedProcess {
  installExitHook();
  const [program, programArgs] = SH ? [SH, ['-c', UMASK_THEN_EXEC, file, ...args]] : [file, args];
  const [command, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', program, ...programArgs]] : [program, programArgs];
  const child = spawn(command, argv, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', () => running.delete(child));
  child.on('error', (err) => lines.push(`spawn error: ${err.message}`));
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    // A spawn that failed emits 'error' and may never emit 'close'.
    child.once('error', () => resolve());
  });
  return {
    name,
    child,
    closed,
    tail: () => lines.slice(-15).join('\n'),
    stop: (timeoutMs = 10_000) => stopChild(child, timeoutMs, opts.stopSignal ?? 'SIGTERM'),
  };
}

function stopChild(child: ChildProcess, timeoutMs: number, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Synchronous last resort: on exit, SIGKILL anything still running. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export function runningChildren(): number {
  return running.size;
}

/**
 * Resolves once `probe` succeeds (the service answers its own protocol, not just any TCP listener);
 * fails as soon as the process exits, or after `timeoutMs`, with the end of its output.
 */
export async function waitUntilReady(proc: ManagedProcess, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const exited = () => proc.child.exitCode !== null || proc.child.signalCode !== null;
  const failed = async () => {
    // Its last words may still be in the pipe when the exit is seen.
    await Promise.race([proc.closed, new Promise((r) => setTimeout(r, 1000))]);
    return new Error(`${proc.name} exited during start-up (code ${proc.child.exitCode}):\n${proc.tail()}`);
  };
  while (Date.now() < deadline) {
    if (exited()) throw await failed();
    if (await probe().catch(() => false)) {
      if (exited()) throw await failed();
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${proc.name} did not become ready within ${timeoutMs} ms:\n${proc.tail()}`);
}

/** Fails with a clear message when a port we are about to give a service is already taken. */
export async function assertPortFree(port: number, setting: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  if (!free) throw new Error(`port ${port} is already in use; stop what uses it or set ${setting} to another port`);
}

/**
 * A free TCP port on 127.0.0.1, for tests and the dev server's auxiliary ports. The port is left
 * in TIME_WAIT (we connect to it and the server side closes first), so for a minute the kernel will
 * not hand it to anyone else's bind(0) — the Temporal dev server picks its internal ports that way
 * — while an explicit bind by us still succeeds (SO_REUSEADDR). A plain listen-and-close let two
 * pickers get the same port when tests start stacks side by side.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((conn) => {
      // The server side closes first: that end is the one left in TIME_WAIT.
      conn.destroy();
      server.close(() => resolve(port));
    });
    let port = 0;
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      port = (server.address() as net.AddressInfo).port;
      const client = net.connect({ host: '127.0.0.1', port });
      client.on('error', () => {});
      client.on('close', () => client.destroy());
    });
  });
}
