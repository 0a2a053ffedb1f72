/**
 * The circuit breaker's rules, pure: when a webhook's circuit opens, when a probe may go, how long
 * the cool-down is, when a webhook failing for too long is disabled. The MongoDB side is
 * endpoint-health.ts; the settings come from the environment (HERALD_CIRCUIT_*,
 * HERALD_AUTO_DISABLE_AFTER) with per-webhook overrides (`circuitBreaker`, `autoDisableAfterSeconds`).
 *
 *   closed ──(failureThreshold failures in a row)──► open ──(cool-down)──► half-open (one probe)
 *      ▲                                               ▲                        │
 *      └──────────────── probe succeeds ───────────────┼────────────────────────┤
 *                                                      └── probe fails (cool-down doubles) ──┘
 */
import type { CircuitState } from '../models/webhook-health';
import type { AttemptResult } from '../delivery/send';

export interface CircuitSettings {
  /** Failed attempts in a row (across the webhook's notifications) that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit waits before its first probe; doubles after each failed probe… */
  cooldownSeconds: number;
  /** …up to this. */
  maxCooldownSeconds: number;
  /** A webhook failing continuously this long is disabled; null: never. */
  autoDisableAfterSeconds: number | null;
}

/** Realistic defaults (tests use small per-webhook overrides). */
export const CIRCUIT_DEFAULTS: Readonly<CircuitSettings> = Object.freeze({
  failureThreshold: 10,
  cooldownSeconds: 30,
  maxCooldownSeconds: 900,
  autoDisableAfterSeconds: 5 * 86400,
});

export interface CircuitOverrides {
  circuitBreaker?: { failureThreshold?: number | null; cooldownSeconds?: number | null } | null;
  autoDisableAfterSeconds?: number | null;
}

/** The webhook's effective settings: its overrides over the process defaults. */
export function circuitSettings(defaults: CircuitSettings, webhook: CircuitOverrides): CircuitSettings {
  const cb = webhook.circuitBreaker ?? {};
  return {
    failureThreshold: cb.failureThreshold ?? defaults.failureThreshold,
    cooldownSeconds: cb.cooldownSeconds ?? defaults.cooldownSeconds,
    maxCooldownSeconds: Math.max(defaults.maxCooldownSeconds, cb.cooldownSeconds ?? 0),
    // 0 stored means "never" for this webhook; unset means the default.
    autoDisableAfterSeconds:
      webhook.autoDisableAfterSeconds === undefined || webhook.autoDisableAfterSeconds === null
        ? defaults.autoDisableAfterSeconds
        : webhook.autoDisableAfterSeconds === 0
          ? null
          : webhook.autoDisableAfterSeconds,
  };
}

export interface HealthFacts {
  state: CircuitState | string;
  consecutiveFailures: number;
  openings?: number | null;
  failingSince?: Date | null;
  nextProbeAt?: Date | null;
  probeUntil?: Date | null;
}

export type CircuitDecision = { kind: 'go' } | { kind: 'probe' } | { kind: 'wait'; until: Date };

/** May an automatic attempt go now? A probe must first be claimed (only one goes at a time). */
export function circuitDecision(health: HealthFacts | null, now: Date): CircuitDecision {
  if (!health || health.state === 'closed') return { kind: 'go' };
  if (health.state === 'open') {
    if (!health.nextProbeAt || health.nextProbeAt <= now) return { kind: 'probe' };
    return { kind: 'wait', until: health.nextProbeAt };
  }
  // half-open: a probe is in flight; a probe whose lease ran out (its worker died) is taken over.
  if (!health.probeUntil || health.probeUntil <= now) return { kind: 'probe' };
  return { kind: 'wait', until: health.probeUntil };
}

/** The cool-down after the circuit's `openings`-th opening in a row: doubling, capped. */
export function cooldownSeconds(settings: CircuitSettings, openings: number): number {
  return Math.min(settings.cooldownSeconds * 2 ** Math.max(0, openings - 1), settings.maxCooldownSeconds);
}

/** After a failure was counted: does the circuit open now? */
export function shouldOpen(health: HealthFacts, settings: CircuitSettings): boolean {
  return health.state === 'closed' && health.consecutiveFailures >= settings.failureThreshold;
}

/** Failing continuously for longer than the webhook allows? */
export function shouldAutoDisable(failingSince: Date | null | undefined, now: Date, settings: CircuitSettings): boolean {
  if (!failingSince || settings.autoDisableAfterSeconds === null) return false;
  return now.getTime() - failingSince.getTime() >= settings.autoDisableAfterSeconds * 1000;
}

/**
 * Which outcomes say something about the endpoint: a 2xx is healthy; statuses, timeouts,
 * connection and TLS errors are failures. A blocked destination or a credential naming an undefined
 * variable is Herald's configuration, not the receiver's health: not counted either way.
 */
export function healthSignal(result: Pick<AttemptResult, 'ok' | 'error'>): 'success' | 'failure' | null {
  if (result.ok) return 'success';
  const kind = result.error?.kind;
  return kind === 'blocked' || kind === 'configuration' ? null : 'failure';
}

/**
 * Waiting notifications wake spread over `spreadMs` after `until` rather than all at once, so the
 * backlog of a circuit that closes (or a full rate window) goes out at a controlled pace.
 */
export function spreadWake(until: Date, spreadMs: number, random: () => number = Math.random): Date {
  return new Date(until.getTime() + Math.floor(random() * Math.max(0, spreadMs)));
}
