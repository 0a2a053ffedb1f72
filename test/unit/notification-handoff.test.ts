/**
 * The handoff's bounds (src/delivery/handoff.ts): a process whose first attempts run elsewhere
 * must not keep what it handed over for ever, nor hold more than its byte budget.
 */
import { createNotificationHandoff } from '../../src/delivery/handoff';
import type { LoadedNotification } from '../../src/models/notification';

function notification(id: string, bodyBytes = 10): LoadedNotification {
  return {
    _id: id,
    eventId: 'evt_1',
    eventType: 'loan.disbursed',
    webhookId: 'wh_1',
    status: 'pending',
    request: { method: 'POST', url: 'https://example.test/hook', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(bodyBytes) },
    attemptCount: 0,
    attempts: [],
  };
}

test('an entry is taken once, and only by its own account', () => {
  const handoff = createNotificationHandoff();
  handoff.give('acc_a', [notification('ntf_1')]);
  expect(handoff.take('acc_b', 'ntf_1')).toBeUndefined();
  expect(handoff.take('acc_a', 'ntf_1')?._id).toBe('ntf_1');
  expect(handoff.take('acc_a', 'ntf_1')).toBeUndefined();
});

test('the oldest entries go when the count or the byte budget is reached', () => {
  const byCount = createNotificationHandoff({ maxEntries: 3 });
  byCount.give('acc', ['n1', 'n2', 'n3', 'n4'].map((id) => notification(id)));
  expect(byCount.size).toBe(3);
  expect(byCount.take('acc', 'n1')).toBeUndefined();
  expect(byCount.take('acc', 'n4')).toBeDefined();

  const byBytes = createNotificationHandoff({ maxBytes: 10_000 });
  byBytes.give('acc', ['big1', 'big2', 'big3'].map((id) => notification(id, 4_000)));
  expect(byBytes.size).toBe(2);
  expect(byBytes.take('acc', 'big1')).toBeUndefined();
  // One larger than the whole budget is not kept at all: its attempt reads MongoDB.
  byBytes.give('acc', [notification('huge', 20_000)]);
  expect(byBytes.take('acc', 'huge')).toBeUndefined();
});

test('an entry nobody takes expires', () => {
  let now = 1_000;
  const handoff = createNotificationHandoff({ maxAgeMs: 60_000, now: () => now });
  handoff.give('acc', [notification('kept'), notification('late')]);
  now += 59_000;
  expect(handoff.take('acc', 'kept')).toBeDefined();
  now += 2_000;
  expect(handoff.take('acc', 'late')).toBeUndefined();
});
