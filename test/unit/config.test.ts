import { ConfigError, loadConfig } from '../../src/config';

test('defaults follow API.md', () => {
  const c = loadConfig({});
  expect(c.port).toBe(3000);
  expect(c.temporal).toEqual({ address: undefined, namespace: 'default', taskQueue: 'herald-notifications' });
  expect(c.embedded).toEqual({ temporalPort: 7233, temporalUiPort: 8233, mongoPort: 27017 });
  expect(c.maxBodyBytes).toBe(1048576);
  expect(c.allowPrivateDestinations).toBe(false);
  expect(Object.isFrozen(c) && Object.isFrozen(c.temporal)).toBe(true);
});

test('every problem is listed in one error', () => {
  let error: unknown;
  try {
    loadConfig({ PORT: 'abc', TEMPORAL_ADDRESS: 'nohostport', MONGODB_URI: 'postgres://x', HERALD_ALLOW_PRIVATE_DESTINATIONS: 'maybe', HERALD_MAX_BODY_BYTES: '-5', HERALD_API_KEYS: 'short' });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems;
  for (const name of ['PORT', 'TEMPORAL_ADDRESS', 'MONGODB_URI', 'HERALD_ALLOW_PRIVATE_DESTINATIONS', 'HERALD_MAX_BODY_BYTES', 'HERALD_API_KEYS']) {
    expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
  }
  expect((error as ConfigError).message).toContain('Invalid configuration');
});

test('comma-separated API keys are trimmed', () => {
  expect(loadConfig({ HERALD_API_KEYS: ' aaaaaaaaaaaaaaaa , bbbbbbbbbbbbbbbb ' }).apiKeys).toEqual(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
});

test('HERALD_TEMPORAL_UI_URL is optional, an http(s) URL, kept without a trailing slash', () => {
  expect(loadConfig({}).temporalUiUrl).toBeUndefined();
  expect(loadConfig({ HERALD_TEMPORAL_UI_URL: 'http://temporal.internal:8080/' }).temporalUiUrl).toBe('http://temporal.internal:8080');
  expect(() => loadConfig({ HERALD_TEMPORAL_UI_URL: 'temporal:8080' })).toThrow('HERALD_TEMPORAL_UI_URL: must be an http(s) URL');
});

test('HERALD_RETENTION: a duration, 30 days by default, never shorter than the resend window', () => {
  expect(loadConfig({}).retentionSeconds).toBe(30 * 86400);
  expect(loadConfig({ HERALD_RETENTION: '90d' }).retentionSeconds).toBe(90 * 86400);
  expect(loadConfig({ HERALD_RETENTION: '2d', HERALD_RESEND_WINDOW: '2d' }).retentionSeconds).toBe(2 * 86400);
  expect(() => loadConfig({ HERALD_RETENTION: '30 days' })).toThrow('HERALD_RETENTION: must be a number with a unit s, m, h or d');

  let error: unknown;
  try {
    loadConfig({ HERALD_RETENTION: '3d' });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^HERALD_RETENTION: must be at least HERALD_RESEND_WINDOW \(3d < 7d\)/)]);
  // The default retention against a longer window names both settings too.
  expect(() => loadConfig({ HERALD_RESEND_WINDOW: '60d' })).toThrow('HERALD_RETENTION: must be at least HERALD_RESEND_WINDOW (30d < 60d)');
});

test('endpoint health settings: realistic defaults, durations, 0s never auto-disables, bad values named', () => {
  expect(loadConfig({}).circuit).toEqual({ failureThreshold: 10, cooldownSeconds: 30, maxCooldownSeconds: 900, autoDisableAfterSeconds: 432000 });
  expect(
    loadConfig({ HERALD_CIRCUIT_FAILURE_THRESHOLD: '3', HERALD_CIRCUIT_COOLDOWN: '1h', HERALD_CIRCUIT_MAX_COOLDOWN: '10m', HERALD_AUTO_DISABLE_AFTER: '0s' }).circuit,
  ).toEqual({ failureThreshold: 3, cooldownSeconds: 3600, maxCooldownSeconds: 3600, autoDisableAfterSeconds: null });
  let error: unknown;
  try {
    loadConfig({ HERALD_CIRCUIT_FAILURE_THRESHOLD: '0', HERALD_CIRCUIT_COOLDOWN: 'soon', HERALD_AUTO_DISABLE_AFTER: '5 days' });
  } catch (err) {
    error = err;
  }
  expect((error as ConfigError).problems).toEqual([
    'HERALD_CIRCUIT_FAILURE_THRESHOLD: must be at least 1',
    'HERALD_CIRCUIT_COOLDOWN: must be a number with a unit s, m, h or d, e.g. 7d',
    'HERALD_AUTO_DISABLE_AFTER: must be a number with a unit s, m, h or d, e.g. 7d',
  ]);
});

test('the dispatch sweeper timing: 5 s interval and 10 s grace by default, durations when set', () => {
  expect(loadConfig({}).dispatchSweep).toEqual({ intervalSeconds: 5, graceSeconds: 10 });
  expect(loadConfig({ HERALD_DISPATCH_SWEEP_INTERVAL: '1s', HERALD_DISPATCH_SWEEP_GRACE: '0s' }).dispatchSweep).toEqual({ intervalSeconds: 1, graceSeconds: 0 });
  expect(() => loadConfig({ HERALD_DISPATCH_SWEEP_INTERVAL: '0s' })).toThrow('HERALD_DISPATCH_SWEEP_INTERVAL: must be at least 1s');
  expect(() => loadConfig({ HERALD_DISPATCH_SWEEP_GRACE: '5' })).toThrow('HERALD_DISPATCH_SWEEP_GRACE: must be a number with a unit');
});
