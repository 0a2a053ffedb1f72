import { decodeEventCursor, encodeEventCursor, eventQuery, isEmptyEventFilter } from '../../src/models/event-filter';
import { notificationQuery } from '../../src/models/notification-filter';

describe('eventQuery', () => {
  it('maps each filter to its field, and time bounds to createdAt', () => {
    const since = new Date('2026-01-01T00:00:00Z');
    const until = new Date('2026-02-01T00:00:00Z');
    expect(eventQuery({})).toEqual({});
    expect(eventQuery({ eventId: 'evt_1', type: 'loan.disbursed', entityId: 'loan-7', since, until })).toEqual({
      _id: 'evt_1',
      type: 'loan.disbursed',
      entityIds: 'loan-7',
      createdAt: { $gte: since, $lte: until },
    });
  });

  it('an empty filter is one with nothing set (false counts as set)', () => {
    expect(isEmptyEventFilter({})).toBe(true);
    expect(isEmptyEventFilter({ type: undefined })).toBe(true);
    expect(isEmptyEventFilter({ matched: false })).toBe(false);
  });
});

describe('event cursors', () => {
  it('round-trip a position, and refuse anything else', () => {
    const p = { createdAt: '2026-11-30T12:00:00.123Z', id: 'order:42' };
    expect(decodeEventCursor(encodeEventCursor(p))).toEqual(p);
    for (const bad of ['zzz', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["not a date","x"]').toString('base64url'), '']) {
      expect(decodeEventCursor(bad)).toBeNull();
    }
  });
});

describe('notificationQuery', () => {
  it('filters on entityIds, the destination host and the last attempt', () => {
    expect(notificationQuery({ entityId: 'loan-7', destinationHost: 'api.example.com', statusCode: 401, errorKind: 'http_status' })).toEqual({
      entityIds: 'loan-7',
      destinationHost: 'api.example.com',
      lastStatusCode: 401,
      lastErrorKind: 'http_status',
    });
  });
});
