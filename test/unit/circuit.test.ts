/** The circuit breaker's pure rules (src/flow-control/circuit.ts). */
import {
  CIRCUIT_DEFAULTS,
  circuitDecision,
  circuitSettings,
  cooldownSeconds,
  healthSignal,
  shouldAutoDisable,
  shouldOpen,
  spreadWake,
} from '../../src/flow-control/circuit';

const now = new Date('2026-11-30T12:00:00Z');
const at = (s: number) => new Date(now.getTime() + s * 1000);

describe('settings', () => {
  test('a webhook overrides the defaults field by field; 0 means never auto-disable', () => {
    expect(circuitSettings(CIRCUIT_DEFAULTS, {})).toEqual(CIRCUIT_DEFAULTS);
    expect(circuitSettings(CIRCUIT_DEFAULTS, { circuitBreaker: { failureThreshold: 3 }, autoDisableAfterSeconds: 60 })).toEqual({
      ...CIRCUIT_DEFAULTS,
      failureThreshold: 3,
      autoDisableAfterSeconds: 60,
    });
    expect(circuitSettings(CIRCUIT_DEFAULTS, { autoDisableAfterSeconds: 0 }).autoDisableAfterSeconds).toBeNull();
    // A cool-down longer than the default cap raises the cap instead of being cut.
    expect(circuitSettings(CIRCUIT_DEFAULTS, { circuitBreaker: { cooldownSeconds: 3600 } }).maxCooldownSeconds).toBe(3600);
  });

  test('the realistic defaults', () => {
    expect(CIRCUIT_DEFAULTS).toEqual({ failureThreshold: 10, cooldownSeconds: 30, maxCooldownSeconds: 900, autoDisableAfterSeconds: 5 * 86400 });
  });
});

describe('decisions', () => {
  test('closed or never failed: go', () => {
    expect(circuitDecision(null, now)).toEqual({ kind: 'go' });
    expect(circuitDecision({ state: 'closed', consecutiveFailures: 4 }, now)).toEqual({ kind: 'go' });
  });

  test('open: wait for the cool-down, then probe', () => {
    expect(circuitDecision({ state: 'open', consecutiveFailures: 10, nextProbeAt: at(5) }, now)).toEqual({ kind: 'wait', until: at(5) });
    expect(circuitDecision({ state: 'open', consecutiveFailures: 10, nextProbeAt: at(-1) }, now)).toEqual({ kind: 'probe' });
  });

  test('half-open: wait for the probe in flight; take over a probe whose lease ran out', () => {
    expect(circuitDecision({ state: 'half-open', consecutiveFailures: 10, probeUntil: at(20) }, now)).toEqual({ kind: 'wait', until: at(20) });
    expect(circuitDecision({ state: 'half-open', consecutiveFailures: 10, probeUntil: at(-1) }, now)).toEqual({ kind: 'probe' });
  });

  test('opens at the threshold, only from closed', () => {
    const s = { ...CIRCUIT_DEFAULTS, failureThreshold: 3 };
    expect(shouldOpen({ state: 'closed', consecutiveFailures: 2 }, s)).toBe(false);
    expect(shouldOpen({ state: 'closed', consecutiveFailures: 3 }, s)).toBe(true);
    expect(shouldOpen({ state: 'open', consecutiveFailures: 9 }, s)).toBe(false);
  });

  test('the cool-down doubles with each opening in a row, up to the cap', () => {
    const s = { ...CIRCUIT_DEFAULTS, cooldownSeconds: 30, maxCooldownSeconds: 100 };
    expect([1, 2, 3, 4].map((n) => cooldownSeconds(s, n))).toEqual([30, 60, 100, 100]);
  });

  test('auto-disable after the period of continuous failure, never when null', () => {
    const s = { ...CIRCUIT_DEFAULTS, autoDisableAfterSeconds: 60 };
    expect(shouldAutoDisable(at(-59), now, s)).toBe(false);
    expect(shouldAutoDisable(at(-60), now, s)).toBe(true);
    expect(shouldAutoDisable(null, now, s)).toBe(false);
    expect(shouldAutoDisable(at(-1e6), now, { ...s, autoDisableAfterSeconds: null })).toBe(false);
  });
});

test('what counts: 2xx healthy; statuses, timeouts, connection and TLS errors failures; Herald-side problems neither', () => {
  expect(healthSignal({ ok: true })).toBe('success');
  for (const kind of ['http_status', 'timeout', 'connection', 'tls'] as const) expect(healthSignal({ ok: false, error: { kind, message: '' } })).toBe('failure');
  for (const kind of ['blocked', 'configuration'] as const) expect(healthSignal({ ok: false, error: { kind, message: '' } })).toBeNull();
});

test('waiters wake spread over the given span after the time', () => {
  expect(spreadWake(now, 1000, () => 0)).toEqual(now);
  expect(spreadWake(now, 1000, () => 0.5)).toEqual(at(0.5));
  expect(spreadWake(now, 0, () => 0.9)).toEqual(now);
});
