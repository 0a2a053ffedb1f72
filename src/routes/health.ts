/** Unauthenticated probes and metrics: /healthz (process up), /readyz (MongoDB and Temporal reachable), /metrics. */
import { Router } from 'express';
import type { AppDeps } from '../app';

/**
 * Each readiness check gets this long, and they run side by side, so /readyz answers within it
 * (plus a few ms, more on a loaded machine: hence 1 s for a promise of 2 s) even when a service
 * hangs: probes commonly time out after 1–5 s, and a probe that times out cannot tell "down" from
 * "slow". A healthy ping takes milliseconds. Without a deadline a dead Temporal took about 20 s
 * (the client's own gRPC retries).
 */
export const READINESS_CHECK_TIMEOUT_MS = 1000;

type Check = () => Promise<void>;

/** `null` when the check passed, or why it did not (its error, or the deadline). */
async function runCheck(check: Check, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      check().then(
        () => null,
        (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0] || 'failed',
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRouter(deps: AppDeps): Router {
  const router = Router();

  const checks: Record<'mongodb' | 'temporal', Check> = {
    mongodb: async () => {
      await deps.db.connection.db!.admin().ping();
    },
    // withDeadline bounds the gRPC call itself, so a dead server leaves no call running behind
    // the answer; the race in runCheck bounds everything else.
    temporal: async () => {
      const { connection } = deps.temporal;
      await connection.withDeadline(Date.now() + READINESS_CHECK_TIMEOUT_MS, () => connection.workflowService.getSystemInfo({}));
    },
  };

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // `checks` stays name → boolean (what scripts already read); `down` names each failing
  // service with the reason, and is present only when something is down.
  router.get('/readyz', async (_req, res) => {
    const names = Object.keys(checks) as Array<keyof typeof checks>;
    const results = await Promise.all(names.map((name) => runCheck(checks[name], READINESS_CHECK_TIMEOUT_MS)));
    const down = Object.fromEntries(names.flatMap((name, i) => (results[i] === null ? [] : [[name, results[i]]])));
    const ready = Object.keys(down).length === 0;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not_ready',
      checks: Object.fromEntries(names.map((name, i) => [name, results[i] === null])),
      ...(ready ? {} : { down }),
    });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  return router;
}
