/**
 * Finishes the job for events that were stored but whose fan-out or workflow starts did not
 * complete (MongoDB or Temporal unreachable, or the API process died in between), and emits the
 * `herald.notification.failed` events an attempt noted as pending but could not store
 * (src/notification-failed.ts). Runs in every API process; fan-out, starts and emits are
 * idempotent (src/fan-out.ts, the events' keys), so several sweepers may overlap.
 * (Not to be confused with undici's Dispatcher, the HTTP connection pool of the deliveries.)
 */
import type { FanOutDeps } from './fan-out';
import { fanOut } from './fan-out';
import { emitPendingNotificationFailed } from './notification-failed';
import type { Config } from './config';
import { acrossAccounts, DEFAULT_ACCOUNT, inAccount } from './accounts/scope';

/** A document's account; one written before accounts existed (no `accountId`) is the default's. */
function accountOf(doc: object): string {
  return (doc as { accountId?: string | null }).accountId ?? DEFAULT_ACCOUNT;
}

export interface DispatchSweeper {
  /** One pass: dispatch events older than `graceMs` that are still undispatched, emit pending operational events as old. */
  sweep(): Promise<number>;
  stop(): void;
}

/** The sweeper's timing from the config (HERALD_DISPATCH_SWEEP_INTERVAL, HERALD_DISPATCH_SWEEP_GRACE). */
export function sweepTiming(config: Pick<Config, 'dispatchSweep'>): { intervalMs: number; graceMs: number } {
  return { intervalMs: config.dispatchSweep.intervalSeconds * 1000, graceMs: config.dispatchSweep.graceSeconds * 1000 };
}

export function startDispatchSweeper(deps: FanOutDeps, opts: { intervalMs?: number; graceMs?: number } = {}): DispatchSweeper {
  const intervalMs = opts.intervalMs ?? 5000;
  const graceMs = opts.graceMs ?? 10_000;
  let running = false;

  async function sweep(): Promise<number> {
    if (running) return 0;
    running = true;
    try {
      const cutoff = new Date(Date.now() - graceMs);
      // One look across accounts; each event is then finished in its own account.
      const events = await acrossAccounts(() => deps.models.Event.find({ dispatchedAt: null, createdAt: { $lte: cutoff } }).limit(100).lean());
      let done = 0;
      for (const e of events) {
        // Redo the fan-out too: the process may have died before creating every notification.
        if ((await inAccount(accountOf(e), () => fanOut(deps, e))).dispatched) done++;
        else break; // Temporal is still unreachable; try again next tick.
      }
      // Almost always empty: only what an attempt could not finish emitting.
      const pending = await acrossAccounts(() => deps.models.PendingOperationalEvent.find({ createdAt: { $lte: cutoff } }).sort({ createdAt: 1 }).limit(100).lean());
      for (const p of pending) if ((await inAccount(accountOf(p), () => emitPendingNotificationFailed(deps, p))) === 'emitted') done++;
      return done;
    } catch (err) {
      deps.logger.warn({ err }, 'dispatch sweep failed; retrying next tick');
      return 0;
    } finally {
      running = false;
    }
  }

  const timer = setInterval(() => void sweep(), intervalMs);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
