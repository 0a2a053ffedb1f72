/**
 * The gate every attempt passes before it sends: the circuit breaker (automatic attempts only: an
 * operator's manual resend is a deliberate probe), then the webhook's concurrency and rate limits.
 * A held attempt sends nothing and is no delivery attempt: the caller waits (a workflow timer, or
 * Temporal's retry of the activity) until `until` and tries the gate again.
 */
import type { Models } from '../models';
import { circuitDecision, cooldownSeconds, spreadWake, type CircuitOverrides } from './circuit';
import type { EndpointHealth } from './endpoint-health';
import { rateWindow, takeLease, takeRatePermit, type RateLimit } from './limits';
import type { HoldReason } from '../../workflows/status';

export type Gate = { kind: 'go'; release: () => Promise<void> } | { kind: 'held'; reason: HoldReason; until: Date };

export interface GateDeps {
  models: Pick<Models, 'DeliveryPermit'>;
  health: EndpointHealth;
}

export type GatedWebhook = { _id: string; rateLimit?: RateLimit | null; maxConcurrency?: number | null } & CircuitOverrides;

export async function enterGate(
  deps: GateDeps,
  webhook: GatedWebhook,
  opts: { automatic: boolean; holder: string; leaseMs: number; now: Date },
): Promise<Gate> {
  const { now } = opts;
  if (opts.automatic) {
    const decision = circuitDecision(await deps.health.read(webhook._id, now), now);
    // Waiters wake spread over one cool-down, so a recovered endpoint gets its backlog gradually.
    const spreadMs = cooldownSeconds(deps.health.settings(webhook), 1) * 1000;
    if (decision.kind === 'wait') return { kind: 'held', reason: 'circuit_open', until: spreadWake(decision.until, spreadMs) };
    if (decision.kind === 'probe' && !(await deps.health.claimProbe(webhook._id, now, opts.leaseMs))) {
      return { kind: 'held', reason: 'circuit_open', until: spreadWake(new Date(now.getTime() + opts.leaseMs), spreadMs) };
    }
  }
  let release = async () => {};
  if (webhook.maxConcurrency) {
    const lease = await takeLease(deps.models, webhook._id, webhook.maxConcurrency, opts);
    if (!lease.ok) return { kind: 'held', reason: 'concurrency_limited', until: spreadWake(lease.retryAt, 500) };
    release = lease.release;
  }
  if (webhook.rateLimit) {
    const permit = await takeRatePermit(deps.models, webhook._id, webhook.rateLimit, now);
    if (!permit.ok) {
      await release();
      // Spread over two windows: a burst queued behind a full window does not all retry at its edge.
      return { kind: 'held', reason: 'rate_limited', until: spreadWake(permit.retryAt, 2 * rateWindow(webhook.rateLimit)!.windowMs) };
    }
  }
  return { kind: 'go', release };
}
