import { isReservedEventType, matchesEventType, RESERVED_TYPE_PREFIX } from '../../src/matching/event-type';
import { OPERATIONAL_EVENT_TYPES, OPERATIONAL_EVENTS, isOperationalEventType } from '../../src/operational-events';
import { eventSchema, previewEventSchema } from '../../src/routes/events';
import { createSourceSchema, patchSourceSchema } from '../../src/routes/sources';
import { dataPaths } from '../../src/routes/event-types';

describe('event type matching', () => {
  it('matches an exact type and "*" for client types', () => {
    expect(matchesEventType(['loan.disbursed'], 'loan.disbursed')).toBe(true);
    expect(matchesEventType(['*'], 'loan.disbursed')).toBe(true);
    expect(matchesEventType(['loan.repaid', '*'], 'loan.disbursed')).toBe(true);
    expect(matchesEventType(['loan.repaid'], 'loan.disbursed')).toBe(false);
  });

  it.each(OPERATIONAL_EVENT_TYPES)('"*" does not match %s; listing it by name does', (type) => {
    expect(matchesEventType(['*'], type)).toBe(false);
    expect(matchesEventType(['*', 'loan.disbursed'], type)).toBe(false);
    expect(matchesEventType([type], type)).toBe(true);
    expect(matchesEventType(['*', type], type)).toBe(true);
  });

  it('one operational type does not match another, and no prefix pattern exists', () => {
    expect(matchesEventType(['herald.webhook.disabled'], 'herald.notification.failed')).toBe(false);
    expect(matchesEventType(['herald.*'], 'herald.notification.failed')).toBe(false);
    expect(matchesEventType(['loan.*'], 'loan.disbursed')).toBe(false);
  });

  it('reserves the herald. namespace whatever the case', () => {
    expect(isReservedEventType('herald.notification.failed')).toBe(true);
    expect(isReservedEventType('Herald.Anything')).toBe(true);
    expect(isReservedEventType('heraldry.updated')).toBe(false);
    expect(isReservedEventType('loan.herald.x')).toBe(false);
    expect(matchesEventType(['*'], 'HERALD.x')).toBe(false);
  });
});

describe('operational event types', () => {
  it('are all in the reserved namespace and documented with a sample', () => {
    for (const type of OPERATIONAL_EVENT_TYPES) {
      expect(type.startsWith(RESERVED_TYPE_PREFIX)).toBe(true);
      expect(isOperationalEventType(type)).toBe(true);
      expect(OPERATIONAL_EVENTS[type].sample.webhookId).toMatch(/^wh_/);
    }
    expect(isOperationalEventType('herald.other')).toBe(false);
  });

  it('herald.notification.failed documents the data the failure report carries', () => {
    expect([...dataPaths(OPERATIONAL_EVENTS['herald.notification.failed'].sample)]).toEqual(
      expect.arrayContaining(['notificationId', 'webhookId', 'eventId', 'eventType', 'attempts', 'lastAttempt.statusCode', 'lastAttempt.errorKind', 'lastAttempt.finishedAt']),
    );
  });
});

describe('clients cannot send herald.* types', () => {
  const rule = 'must not start with "herald.": that namespace is reserved for Herald\'s operational events';
  const issues = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
    (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

  it('POST /v1/events refuses them on type, reporting other bad fields too', () => {
    expect(issues(eventSchema.safeParse({ type: 'herald.notification.failed' }))).toEqual([`type: ${rule}`]);
    expect(issues(eventSchema.safeParse({ type: 'Herald.x', entityIds: [''] }))).toEqual(expect.arrayContaining([`type: ${rule}`, 'entityIds.0: must not be empty']));
    expect(eventSchema.safeParse({ type: 'heraldry.updated' }).success).toBe(true);
  });

  it('a webhook preview may use them (an operator previews an alert template)', () => {
    expect(previewEventSchema.safeParse({ type: 'herald.notification.failed' }).success).toBe(true);
  });

  it('an inbound source may not push them', () => {
    expect(issues(createSourceSchema.safeParse({ name: 'x', eventType: 'herald.webhook.disabled' }))).toEqual([`eventType: ${rule}`]);
    expect(issues(patchSourceSchema.safeParse({ eventType: 'herald.x' }))).toEqual([`eventType: ${rule}`]);
  });
});
