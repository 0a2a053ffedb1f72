/**
 * A bulk resend's query (src/delivery/resend.ts): times are `_id` ranges (ids sort by creation
 * time), so the status or webhook index serves the whole query in `_id` order.
 */
import { resendQuery } from '../../src/delivery/resend';
import { newId } from '../../src/ids';

const at = (iso: string) => new Date(iso);

test('since and until become an _id range; the request time bounds it too', () => {
  const since = at('2026-11-01T00:00:00Z');
  const until = at('2026-11-02T00:00:00Z');
  const q = resendQuery({ status: 'failed', webhookId: 'wh_1', since, until }, at('2026-11-30T00:00:00Z')) as { _id: { $gte: string; $lt: string } };
  expect(q).toEqual({ status: 'failed', webhookId: 'wh_1', _id: { $gte: expect.any(String), $lt: expect.any(String) } });
  // Created at `since` and at `until` are in; a millisecond before `since` or after `until` is not.
  const inside = [newId('ntf', since.getTime()), newId('ntf', until.getTime())];
  const outside = [newId('ntf', since.getTime() - 1), newId('ntf', until.getTime() + 1)];
  for (const id of inside) expect(id >= q._id.$gte && id < q._id.$lt).toBe(true);
  for (const id of outside) expect(id >= q._id.$gte && id < q._id.$lt).toBe(false);
  // No until: the request time is the upper bound.
  const open = resendQuery({ status: 'failed' }, until) as { _id: { $lt: string } };
  expect(open).toEqual({ status: 'failed', _id: { $lt: expect.any(String) } });
  expect(newId('ntf', until.getTime()) < open._id.$lt).toBe(true);
  expect(newId('ntf', until.getTime() + 1) < open._id.$lt).toBe(false);
});
