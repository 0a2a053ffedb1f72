import { formatDuration, namespaceRetentionSeconds, purgeableNotifications, retentionCutoff } from '../../src/retention';
import { purgeScheduleId } from '../../src/purge-schedule';

test('the cutoff is now minus the retention', () => {
  expect(retentionCutoff(30 * 86400, new Date('2026-11-30T12:00:00Z')).toISOString()).toBe('2026-10-31T12:00:00.000Z');
});

test('only notifications whose round is over are purgeable', () => {
  const cutoff = new Date('2026-10-31T12:00:00Z');
  expect(purgeableNotifications(cutoff)).toEqual({ status: { $in: ['sent', 'failed', 'cancelled'] }, updatedAt: { $lt: cutoff } });
});

test('durations print as HERALD_RETENTION is written', () => {
  expect(formatDuration(30 * 86400)).toBe('30d');
  expect(formatDuration(36 * 3600)).toBe('36h');
  expect(formatDuration(90 * 60)).toBe('90m');
  expect(formatDuration(45)).toBe('45s');
});

test('the namespace keeps closed histories for the retention, never less than the resend window plus a day', () => {
  expect(namespaceRetentionSeconds({ retentionSeconds: 30 * 86400, resendWindowSeconds: 7 * 86400 })).toBe(30 * 86400);
  expect(namespaceRetentionSeconds({ retentionSeconds: 7 * 86400, resendWindowSeconds: 7 * 86400 })).toBe(8 * 86400);
  expect(namespaceRetentionSeconds({ retentionSeconds: 3600, resendWindowSeconds: 60 })).toBe(86460);
});

test('the schedule id: herald-purge on the default task queue, suffixed on another', () => {
  expect(purgeScheduleId('herald-notifications')).toBe('herald-purge');
  expect(purgeScheduleId('tenant-b')).toBe('herald-purge-tenant-b');
});
