import { ErrorCodes, RenderedTooLargeError } from '../../src/errors';
import { assertRenderedSize, MAX_RENDERED_REQUEST_BYTES, renderedRequestBytes } from '../../src/render/request-size';
import type { RequestSnapshot } from '../../src/render/snapshot';

const request = (body: string, headers: Record<string, string> = {}): RequestSnapshot => ({
  method: 'POST',
  url: 'https://api.example.com/hooks',
  headers: { 'content-type': 'application/json', ...headers },
  body,
});

describe('assertRenderedSize', () => {
  it('lets an ordinary request through', () => {
    expect(() => assertRenderedSize(request('{"id": "evt_1"}'))).not.toThrow();
  });

  it('lets a request of exactly the limit through and refuses one byte more', () => {
    const base = renderedRequestBytes(request(''));
    const limit = 10_000;
    expect(() => assertRenderedSize(request('x'.repeat(limit - base)), limit)).not.toThrow();
    expect(() => assertRenderedSize(request('x'.repeat(limit - base + 1)), limit)).toThrow(RenderedTooLargeError);
  });

  it('throws a typed error with a stable code, the size and the limit', () => {
    const big = request('x'.repeat(MAX_RENDERED_REQUEST_BYTES));
    let caught: unknown;
    try {
      assertRenderedSize(big);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RenderedTooLargeError);
    const e = caught as RenderedTooLargeError;
    expect(e.code).toBe(ErrorCodes.renderedTooLarge);
    expect(e.code).toBe('rendered_request_too_large');
    expect(e.limit).toBe(MAX_RENDERED_REQUEST_BYTES);
    expect(e.bytes).toBe(renderedRequestBytes(big));
    expect(e.message).toContain(String(MAX_RENDERED_REQUEST_BYTES));
  });

  it('counts what the stored form takes: JSON escapes and multi-byte characters', () => {
    // 1,000 control characters are 6,000 bytes once escaped as \u0001.
    const escaped = request('\u0001'.repeat(1000));
    expect(renderedRequestBytes(escaped)).toBeGreaterThan(6000);
    expect(() => assertRenderedSize(escaped, 5000)).toThrow(RenderedTooLargeError);
    // 1,000 euro signs are 3,000 UTF-8 bytes.
    expect(() => assertRenderedSize(request('€'.repeat(1000)), 2500)).toThrow(RenderedTooLargeError);
  });

  it('counts headers and the URL too', () => {
    expect(() => assertRenderedSize(request('{}', { 'x-big': 'h'.repeat(6000) }), 5000)).toThrow(RenderedTooLargeError);
    expect(() => assertRenderedSize({ ...request('{}'), url: `https://a.example/${'p'.repeat(6000)}` }, 5000)).toThrow(RenderedTooLargeError);
  });
});
