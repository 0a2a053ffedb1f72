/** How errors from Express, body parsers, MongoDB and Temporal become API errors: never a 500 for a client or outage error. */
import { toHeraldError } from '../../src/http/error-handler';
import { HeraldError } from '../../src/errors';

const as = (props: Record<string, unknown>, base: Error = new Error(String(props.message ?? 'x'))) => Object.assign(base, props);

describe('toHeraldError', () => {
  it('keeps a HeraldError as it is', () => {
    const e = new HeraldError(409, 'conflict', 'busy');
    expect(toHeraldError(e)).toBe(e);
  });

  it('a URIError (an undecodable route parameter) is a 400 malformed_path', () => {
    const e = toHeraldError(as({ status: 400 }, new URIError('URI malformed')));
    expect([e.status, e.code]).toEqual([400, 'malformed_path']);
  });

  it('any other client error from Express keeps its status', () => {
    const e = toHeraldError(as({ status: 400, expose: true, message: 'request aborted', type: 'request.aborted' }));
    expect([e.status, e.code, e.message]).toEqual([400, 'bad_request', 'request aborted']);
  });

  it.each([
    ['MongoServerSelectionError', {}],
    ['MongoNetworkError', {}],
    ['MongooseServerSelectionError', {}],
    ['MongoNotConnectedError', {}],
    ['Error', { message: 'Operation `events.insertOne()` buffering timed out after 10000ms' }],
    ['ServiceError', { cause: { code: 14 } }],
    ['ServiceError', { cause: { code: 4 } }],
  ])('%s (MongoDB or Temporal unreachable) is a 503', (name, props) => {
    const e = toHeraldError(as({ name, ...props }));
    expect([e.status, e.code]).toEqual([503, 'service_unavailable']);
  });

  it('anything else is a 500 that says nothing about internals', () => {
    for (const err of [new TypeError('x is undefined'), as({ name: 'ServiceError', cause: { code: 3 } }), as({ status: 500, expose: false }), null]) {
      const e = toHeraldError(err);
      expect([e.status, e.code, e.message]).toEqual([500, 'internal_error', 'Internal error']);
    }
  });
});
