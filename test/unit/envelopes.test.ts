import {
  LATEST_PAYLOAD_VERSION,
  PAYLOAD_VERSIONS,
  buildEnvelope,
  isKnownPayloadVersion,
  resolvePayloadVersion,
} from '../../src/render/envelopes';
import { sampleContext } from '../../src/render/context';

const ctx = sampleContext({ loanId: 'loan-7', amount: 1000 });

describe('payload versions', () => {
  it('lists the released versions oldest first, the newest being the latest', () => {
    expect(PAYLOAD_VERSIONS).toEqual(['2025-01-01', '2026-11-01']);
    expect(LATEST_PAYLOAD_VERSION).toBe('2026-11-01');
    expect(Object.isFrozen(PAYLOAD_VERSIONS)).toBe(true);
  });

  it('knows its versions and "latest", nothing else', () => {
    expect(isKnownPayloadVersion('2025-01-01')).toBe(true);
    expect(isKnownPayloadVersion('2026-11-01')).toBe(true);
    expect(isKnownPayloadVersion('latest')).toBe(true);
    expect(isKnownPayloadVersion('2024-01-01')).toBe(false);
    expect(isKnownPayloadVersion('')).toBe(false);
    expect(isKnownPayloadVersion(20250101)).toBe(false);
    expect(isKnownPayloadVersion('constructor')).toBe(false);
  });

  it('resolves "latest" to the newest version and a pinned one to itself', () => {
    expect(resolvePayloadVersion('latest')).toBe(LATEST_PAYLOAD_VERSION);
    expect(resolvePayloadVersion('2025-01-01')).toBe('2025-01-01');
    expect(() => resolvePayloadVersion('1999-01-01')).toThrow(/Unknown payloadVersion "1999-01-01"/);
  });
});

describe('buildEnvelope', () => {
  it('2025-01-01: {id, type, occurredAt, entityIds, data}', () => {
    const envelope = buildEnvelope('2025-01-01', ctx);
    expect(envelope).toEqual({
      id: 'evt_sample',
      type: 'sample.event',
      occurredAt: '2025-01-01T00:00:00.000Z',
      entityIds: ['entity-1', 'entity-2'],
      data: { loanId: 'loan-7', amount: 1000 },
    });
    expect(Object.keys(envelope)).toEqual(['id', 'type', 'occurredAt', 'entityIds', 'data']);
  });

  it('2026-11-01: {type, timestamp, eventId, entityIds, data}, timestamp being occurredAt', () => {
    const envelope = buildEnvelope('2026-11-01', ctx);
    expect(envelope).toEqual({
      type: 'sample.event',
      timestamp: '2025-01-01T00:00:00.000Z',
      eventId: 'evt_sample',
      entityIds: ['entity-1', 'entity-2'],
      data: { loanId: 'loan-7', amount: 1000 },
    });
    expect(Object.keys(envelope)).toEqual(['type', 'timestamp', 'eventId', 'entityIds', 'data']);
  });

  it('"latest" builds the newest envelope', () => {
    expect(buildEnvelope('latest', ctx)).toEqual(buildEnvelope(LATEST_PAYLOAD_VERSION, ctx));
  });

  it('throws on an unknown version', () => {
    expect(() => buildEnvelope('2030-01-01', ctx)).toThrow(/Unknown payloadVersion/);
  });
});
