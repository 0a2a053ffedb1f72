/**
 * Finishes the job for events that were stored but whose workflows were not all started (Temporal
 * was unreachable, or the API process died in between). Runs in every API process; starting a
 * workflow twice is harmless (see startNotificationWorkflow), so several dispatchers may overlap.
 */
import type { IngestDeps } from './ingest';
import { createNotifications, dispatchEvent } from './ingest';

export interface Dispatcher {
  /** One pass: dispatch events older than `graceMs` that are still undispatched. */
  sweep(): Promise<number>;
  stop(): void;
}

export function startDispatcher(deps: IngestDeps, opts: { intervalMs?: number; graceMs?: number } = {}): Dispatcher {
  const intervalMs = opts.intervalMs ?? 5000;
  const graceMs = opts.graceMs ?? 10_000;
  let running = false;

  async function sweep(): Promise<number> {
    if (running) return 0;
    running = true;
    try {
      const cutoff = new Date(Date.now() - graceMs);
      const events = await deps.models.Event.find({ dispatchedAt: null, createdAt: { $lte: cutoff } }).limit(100).lean();
      let done = 0;
      for (const e of events) {
        // Redo the fan-out too: the process may have died before creating every notification.
        const notifications = await createNotifications(deps.models, e);
        if (await dispatchEvent(deps, e._id, notifications)) done++;
        else break; // Temporal is still unreachable; try again next tick.
      }
      return done;
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'dispatcher sweep failed');
      return 0;
    } finally {
      running = false;
    }
  }

  const timer = setInterval(() => void sweep(), intervalMs);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
