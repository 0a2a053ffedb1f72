import { cappedBody, errorSummary } from '../../src/cli/response-body';

describe('errorSummary', () => {
  it('reads code and message from the common error body shapes', () => {
    expect(errorSummary('{"error": {"code": "invalid_token", "message": "The token expired"}}')).toBe('invalid_token: The token expired');
    expect(errorSummary('{"code": 4011, "message": "bad signature"}')).toBe('4011: bad signature');
    expect(errorSummary('{"error": "unauthorized"}')).toBe('unauthorized');
    expect(errorSummary('{"type": "about:blank", "title": "Forbidden", "detail": "tenant acme is suspended"}')).toBe('tenant acme is suspended');
    expect(errorSummary('{"error": {"type": "rate_limit", "message": "slow down"}}')).toBe('rate_limit: slow down');
  });

  it('says nothing when the body is not a recognisable JSON error', () => {
    expect(errorSummary(undefined)).toBeNull();
    expect(errorSummary('')).toBeNull();
    expect(errorSummary('<html>Bad gateway</html>')).toBeNull();
    expect(errorSummary('[1, 2]')).toBeNull();
    expect(errorSummary('{"ok": false}')).toBeNull();
  });
});

describe('cappedBody', () => {
  it('keeps a short body whole and cuts a long one, counting what was left out', () => {
    expect(cappedBody('short', 10)).toEqual({ shown: 'short', omitted: 0 });
    expect(cappedBody('x'.repeat(25), 10)).toEqual({ shown: 'x'.repeat(10), omitted: 15 });
  });
});
