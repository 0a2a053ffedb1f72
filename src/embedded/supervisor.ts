/**
 * Keeps an embedded service running: when the child dies without being asked to (SIGKILL, a
 * crash, the OOM killer), it is started again, on the same port and data directory, after a
 * backoff; every death and every restart is logged. A service that keeps dying is not restarted
 * forever behind a `/readyz` stuck at 503: after `maxFailures` failures (deaths or failed
 * restarts) within `windowMs`, `onGiveUp` is called, and `npm start` exits non-zero with the
 * reason, so a process supervisor (systemd, Docker, Kubernetes) sees it and acts.
 */
import type { ManagedProcess } from './child-process';

/** What the supervisor logs with; a pino logger fits. */
export interface SupervisorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RestartPolicy {
  /** First delay before a restart; doubles with every failure in the window. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** This many failures within `windowMs` and the supervisor gives up. */
  maxFailures: number;
  windowMs: number;
}

/** 0.5 s, 1 s, 2 s, 4 s between attempts; the fifth failure within a minute gives up. */
export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  maxFailures: 5,
  windowMs: 60_000,
});

export interface SupervisorOptions {
  /** `ferretdb` or `temporal`, as in the logs. */
  name: string;
  /** The first, already running process. */
  initial: ManagedProcess;
  /** Starts the service again and resolves once it is ready (rejects if it cannot start). */
  restart: () => Promise<ManagedProcess>;
  policy?: Partial<RestartPolicy>;
  logger?: SupervisorLogger;
  onGiveUp: (err: Error) => void;
}

export interface Supervisor {
  /** The process running now (a new one after each restart). */
  current(): ManagedProcess;
  /** Restarts done so far. */
  restarts(): number;
  /** Stops supervising, then stops the service (also one being restarted right now). */
  stop(): Promise<void>;
}

const silent: SupervisorLogger = { info: () => {}, warn: () => {}, error: () => {} };

export function superviseProcess(opts: SupervisorOptions): Supervisor {
  const policy: RestartPolicy = { ...DEFAULT_RESTART_POLICY, ...opts.policy };
  const logger = opts.logger ?? silent;
  let current = opts.initial;
  let restarts = 0;
  let stopping = false;
  let timer: NodeJS.Timeout | null = null;
  let restarting: Promise<void> | null = null;
  const failures: number[] = [];

  const watch = (proc: ManagedProcess) => {
    // 'close', not 'exit': by then its output is read to the end, for the log.
    proc.child.once('close', (code, signal) => {
      if (stopping || proc !== current) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      failed(new Error(`the embedded ${opts.name} ${how} (pid ${proc.child.pid})${tailOf(proc)}`));
    });
  };

  /** One failure: give up if there were too many lately, otherwise restart after a backoff. */
  const failed = (err: Error) => {
    const now = Date.now();
    failures.push(now);
    while (failures.length > 0 && failures[0] <= now - policy.windowMs) failures.shift();
    if (failures.length >= policy.maxFailures) {
      const reason = new Error(
        `the embedded ${opts.name} failed ${failures.length} times within ${Math.round(policy.windowMs / 1000)} s; not restarting it again. Last failure: ${err.message}`,
      );
      logger.error({ err: reason, embedded: opts.name }, `embedded ${opts.name} keeps failing: giving up`);
      opts.onGiveUp(reason);
      return;
    }
    const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (failures.length - 1));
    logger.warn({ err, embedded: opts.name, delayMs, failuresInWindow: failures.length }, `embedded ${opts.name} died; restarting it`);
    timer = setTimeout(() => {
      timer = null;
      restarting = attemptRestart().finally(() => {
        restarting = null;
      });
    }, delayMs);
  };

  const attemptRestart = async () => {
    let proc: ManagedProcess;
    try {
      proc = await opts.restart();
    } catch (err) {
      if (!stopping) failed(err as Error);
      return;
    }
    if (stopping) {
      await proc.stop();
      return;
    }
    current = proc;
    restarts++;
    logger.info({ embedded: opts.name, pid: proc.child.pid, restarts }, `embedded ${opts.name} restarted`);
    // No event can come between its readiness check and this listener (only microtasks ran).
    watch(proc);
  };

  watch(current);
  return {
    current: () => current,
    restarts: () => restarts,
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await restarting;
      await current.stop();
    },
  };
}

function tailOf(proc: ManagedProcess): string {
  const tail = proc.tail();
  return tail ? `; its last output:\n${tail}` : '';
}
