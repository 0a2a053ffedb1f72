/**
 * The pure parts of delivery timing and naming: the retry schedule the README writes out,
 * Retry-After parsing, the CLI's --since, and the host shown in the Web UI summary.
 */
import { nextDelay } from '../../activities/deliver';
import { parseRetryAfter } from '../../src/delivery/send';
import { parseDuration, parseSince } from '../../src/models/notification-filter';
import { destinationHost, notificationSummary } from '../../src/temporal';
import { RETRY_DEFAULTS } from '../../src/models/webhook';

test('the default schedule: 10 s doubling, capped at 2 h, 12 attempts over 4 h 50 m 30 s', () => {
  // Temporal attempt n failed → the delay before attempt n+1.
  const delays = Array.from({ length: RETRY_DEFAULTS.maxAttempts - 1 }, (_, i) => nextDelay(RETRY_DEFAULTS, i + 1));
  expect(delays).toEqual([10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 7200]);
  expect(delays.reduce((a, b) => a + b, 0)).toBe(4 * 3600 + 50 * 60 + 30);
});

test('Retry-After overrides the schedule, at least 1 s and at most maxIntervalSeconds', () => {
  expect(nextDelay(RETRY_DEFAULTS, 1, 3)).toBe(3);
  expect(nextDelay(RETRY_DEFAULTS, 1, 0)).toBe(1);
  expect(nextDelay(RETRY_DEFAULTS, 1, 86_400)).toBe(7200);
});

test('Retry-After is delta-seconds or an HTTP date; anything else is ignored', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  expect(parseRetryAfter('3', now)).toBe(3);
  expect(parseRetryAfter(' 120 ', now)).toBe(120);
  expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
  expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  expect(parseRetryAfter('soon', now)).toBeUndefined();
  expect(parseRetryAfter('-5', now)).toBeUndefined();
  expect(parseRetryAfter(undefined, now)).toBeUndefined();
});

test('--since takes a duration back from now or an ISO date-time', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  expect(parseDuration('2h')).toBe(7_200_000);
  expect(parseDuration('90s')).toBe(90_000);
  expect(parseDuration('2 hours')).toBeNull();
  expect(parseSince('2h', now).toISOString()).toBe('2026-01-01T10:00:00.000Z');
  expect(parseSince('7d', now).toISOString()).toBe('2025-12-25T12:00:00.000Z');
  expect(parseSince('2025-12-31T00:00:00Z', now).toISOString()).toBe('2025-12-31T00:00:00.000Z');
  expect(() => parseSince('yesterday', now)).toThrow(/neither an ISO date-time .* nor a duration/);
});

test('the Web UI summary shows method, host and event type, never the path or credentials', () => {
  expect(destinationHost('https://api.example.com:8443/hooks/{{data.id}}?k={{event.id}}')).toBe('api.example.com:8443');
  expect(destinationHost('https://user:pw@api.example.com/x')).toBe('api.example.com');
  expect(destinationHost('not a url')).toBeUndefined();
  expect(notificationSummary({ id: 'ntf_1', webhookId: 'wh_1', eventType: 'loan.disbursed', method: 'PUT', url: 'https://api.example.com/a' })).toBe(
    'PUT api.example.com · loan.disbursed',
  );
  expect(notificationSummary({ id: 'ntf_1', webhookId: 'wh_1', eventType: 'loan.disbursed' }, 'resend: ')).toBe('resend: webhook wh_1 · loan.disbursed');
});
