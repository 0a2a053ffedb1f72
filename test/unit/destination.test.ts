import http from 'node:http';
import net from 'node:net';
import { AddressInfo } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import {
  BLOCKED_DESTINATION,
  Resolver,
  checkUrlDestination,
  createGuardedConnector,
  isBlockedAddress,
  isBlockedHostname,
  withRemoteAddressCheck,
} from '../../src/delivery/destination';

/** A resolver that answers every name with fixed addresses, like a rebinding DNS server would. */
const resolveTo =
  (...addresses: string[]): Resolver =>
  (_host, _opts, cb) =>
    cb(null, addresses.map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 })));

describe('isBlockedAddress', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['[::1]', /loopback/],
    ['::1', /loopback/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['2130706433', /loopback/],
    ['0x7f.1', /loopback/],
    ['017700000001', /loopback/],
    ['169.254.169.254', /metadata/],
    ['fd00:ec2::254', /metadata/],
    ['169.254.1.1', /link-local/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['10.0.0.1', /private/],
    ['172.16.5.4', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['224.0.0.1', /multicast/],
    ['ff02::1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['240.0.0.1', /reserved/],
    ['192.0.2.10', /documentation/],
    ['2001:db8::1', /documentation/],
    ['198.18.0.1', /benchmarking/],
    ['fd00::1', /unique-local/],
    ['fc00::1', /unique-local/],
    ['::ffff:127.0.0.1', /IPv4-mapped IPv6 form of 127\.0\.0\.1, loopback/],
    ['::ffff:7f00:1', /IPv4-mapped IPv6 form of 127\.0\.0\.1, loopback/],
    ['[::ffff:169.254.169.254]', /metadata/],
    ['::ffff:0:7f00:1', /IPv4-translated.*loopback/],
    ['::127.0.0.1', /IPv4-compatible.*loopback/],
    ['::1.2.3.4', /IPv4-compatible.*deprecated/],
    ['64:ff9b::7f00:1', /NAT64 form of 127\.0\.0\.1/],
    ['64:ff9b::10.0.0.1', /NAT64 form of 10\.0\.0\.1, private/],
    ['64:ff9b:1::1', /local-use NAT64/],
    ['2002:7f00:1::1', /6to4 form of 127\.0\.0\.1/],
    ['2001::1', /Teredo/],
    ['4000::1', /not global unicast/],
  ])('blocks %s', (ip, reason) => {
    expect(isBlockedAddress(ip)).toMatch(reason);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '2a00:1450:4001::200e', '::ffff:93.184.216.34', '64:ff9b::5db8:d822', '2002:5db8:d822::1'])(
    'allows public address %s',
    (ip) => {
      expect(isBlockedAddress(ip)).toBeNull();
    },
  );

  it('refuses input that is not an IP address instead of guessing', () => {
    expect(isBlockedAddress('example.com')).toBe('not an IP address');
  });
});

describe('isBlockedHostname', () => {
  it.each(['localhost', 'LOCALHOST.', 'api.localhost', '[::1]', '2130706433', '0x7f.1', '0.0.0.0', '10.0.0.1'])('blocks %s without DNS', (host) => {
    expect(isBlockedHostname(host)).not.toBeNull();
  });

  it('leaves ordinary names to DNS', () => {
    expect(isBlockedHostname('example.com')).toBeNull();
    expect(isBlockedHostname('localhost.example.com')).toBeNull();
  });
});

describe('checkUrlDestination', () => {
  const deny = { allowPrivate: false, httpsOnly: false };

  it.each(['http://127.0.0.1/', 'http://localhost:3000/x', 'http://[::1]:8080/', 'http://0.0.0.0/', 'http://2130706433/', 'http://0x7f.1/', 'http://[::ffff:7f00:1]/', 'http://169.254.169.254/latest/meta-data'])(
    'refuses %s',
    async (url) => {
      expect(await checkUrlDestination(url, deny)).not.toBeNull();
    },
  );

  it('refuses a name that resolves to a blocked address, naming the host and address', async () => {
    const reason = await checkUrlDestination('https://rebind.example/hook', { ...deny, lookup: resolveTo('93.184.216.34', '10.1.2.3') });
    expect(reason).toBe('rebind.example resolves to 10.1.2.3: private network');
  });

  it('accepts a name that resolves only to public addresses', async () => {
    expect(await checkUrlDestination('https://hooks.example/x', { ...deny, lookup: resolveTo('93.184.216.34', '2606:4700::1111') })).toBeNull();
    expect(await checkUrlDestination('https://93.184.216.34/x', deny)).toBeNull();
  });

  it('does not refuse a name that does not resolve (the connector checks again at send time)', async () => {
    const failing: Resolver = (_h, _o, cb) => cb(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }), []);
    expect(await checkUrlDestination('https://nowhere.example/', { ...deny, lookup: failing })).toBeNull();
  });

  it('enforces schemes: http(s) only, https only when asked', async () => {
    expect(await checkUrlDestination('ftp://93.184.216.34/', deny)).toMatch(/http and https/);
    expect(await checkUrlDestination('http://93.184.216.34/', { ...deny, httpsOnly: true })).toMatch(/only https/);
    expect(await checkUrlDestination('not a url', deny)).toBe('not a valid URL');
  });

  it('with allowPrivate, allows private and loopback but still refuses cloud metadata', async () => {
    const allow = { allowPrivate: true, httpsOnly: false };
    expect(await checkUrlDestination('http://127.0.0.1:3000/', allow)).toBeNull();
    expect(await checkUrlDestination('http://localhost:3000/', allow)).toBeNull();
    expect(await checkUrlDestination('http://10.0.0.1/', allow)).toBeNull();
    expect(await checkUrlDestination('http://169.254.169.254/', allow)).toMatch(/metadata/);
    expect(await checkUrlDestination('http://meta.example/', { ...allow, lookup: resolveTo('fd00:ec2::254') })).toMatch(/metadata/);
  });
});

describe('guarded connector with a real undici Agent', () => {
  let server: http.Server;
  let port: number;
  let requests: string[];
  let connections: number;
  const agents: Agent[] = [];

  const agentWith = (connect: buildConnector.connector): Agent => {
    const agent = new Agent({ connect });
    agents.push(agent);
    return agent;
  };

  beforeEach(async () => {
    requests = [];
    connections = 0;
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.end('ok');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.close()));
    await new Promise((resolve) => server.close(resolve));
  });

  it.each(['http://127.0.0.1:PORT/hook', 'http://localhost:PORT/hook', 'http://2130706433:PORT/hook', 'http://0x7f.1:PORT/hook', 'https://127.0.0.1:PORT/hook'])(
    'refuses %s with HERALD_BLOCKED_DESTINATION and never connects',
    async (template) => {
      const dispatcher = agentWith(createGuardedConnector({ allowPrivate: false }));
      const url = template.replace('PORT', String(port));
      await expect(request(url, { method: 'POST', body: 'secret', dispatcher })).rejects.toMatchObject({
        code: BLOCKED_DESTINATION,
        message: expect.stringMatching(/(127\.0\.0\.1|localhost).*loopback/),
      });
      expect(requests).toEqual([]);
      expect(connections).toBe(0);
    },
  );

  it('refuses a name whose DNS answer is loopback (rebinding) before opening a socket', async () => {
    const dispatcher = agentWith(createGuardedConnector({ allowPrivate: false, lookup: resolveTo('127.0.0.1') }));
    const err = await request(`http://rebind.example:${port}/hook`, { dispatcher }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: BLOCKED_DESTINATION, host: 'rebind.example', address: '127.0.0.1', reason: 'loopback' });
    expect((err as Error).message).toContain('rebind.example');
    expect(connections).toBe(0);
    expect(requests).toEqual([]);
  });

  it('refuses when any DNS answer is blocked, even if a public one comes first', async () => {
    const dispatcher = agentWith(createGuardedConnector({ allowPrivate: false, lookup: resolveTo('93.184.216.34', '::1') }));
    await expect(request(`http://mixed.example:${port}/`, { dispatcher })).rejects.toMatchObject({ code: BLOCKED_DESTINATION, address: '::1' });
    expect(connections).toBe(0);
  });

  it('with allowPrivate=true delivers to loopback', async () => {
    const dispatcher = agentWith(createGuardedConnector({ allowPrivate: true, connectTimeoutMs: 2000 }));
    const res = await request(`http://127.0.0.1:${port}/hook`, { method: 'POST', body: 'hi', dispatcher });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok');
    expect(requests).toEqual(['POST /hook']);
  });

  it('with allowPrivate=true resolves names through the guarded lookup and delivers', async () => {
    const dispatcher = agentWith(createGuardedConnector({ allowPrivate: true, lookup: resolveTo('127.0.0.1') }));
    const res = await request(`http://receiver.example:${port}/x`, { dispatcher });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(requests).toEqual(['GET /x']);
  });
});

describe('withRemoteAddressCheck (the check on the address actually connected)', () => {
  // A raw TCP server: counts every byte that reaches it, including a TLS ClientHello.
  let server: net.Server;
  let port: number;
  let bytes: number;
  let closed: Promise<void>;

  beforeEach(async () => {
    bytes = 0;
    let onClose: () => void = () => undefined;
    closed = new Promise((resolve) => (onClose = resolve));
    server = net.createServer((socket) => {
      socket.on('data', (chunk) => (bytes += chunk.length));
      socket.on('close', onClose);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  // The base connector here has no lookup or literal check, as if DNS had answered with a public
  // address and then the socket had landed on loopback anyway.
  it.each(['http', 'https'])('destroys a %s socket that connected to loopback before any byte is sent', async (scheme) => {
    const agent = new Agent({ connect: withRemoteAddressCheck(buildConnector({}), false) });
    try {
      await expect(request(`${scheme}://127.0.0.1:${port}/hook`, { method: 'POST', body: 'payload', dispatcher: agent })).rejects.toMatchObject({
        code: BLOCKED_DESTINATION,
        address: '127.0.0.1',
      });
      await closed;
      expect(bytes).toBe(0);
    } finally {
      await agent.close();
    }
  });
});
