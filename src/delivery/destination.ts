/**
 * SSRF protection for outgoing deliveries. A webhook URL is user input, so without this any API
 * key holder could make the worker call loopback services, the private network or a cloud
 * metadata endpoint. Save-time checks alone are not enough (DNS can change between the check and
 * the send, or answer differently per query), so the authoritative check runs inside the socket
 * connector, on the addresses actually used.
 */
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { buildConnector } from 'undici';

export const BLOCKED_DESTINATION = 'HERALD_BLOCKED_DESTINATION';

export class BlockedDestinationError extends Error {
  override readonly name = 'BlockedDestinationError';
  readonly code = BLOCKED_DESTINATION;
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`Blocked destination: host ${host} (address ${address}) is not allowed: ${reason}`);
  }
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];
type Rule = { range: Range; reason: string };
const rules = (list: Array<[string, string]>): Rule[] => list.map(([cidr, reason]) => ({ range: ipaddr.parseCIDR(cidr), reason }));

const METADATA = 'cloud metadata endpoint';

// Blocked even when private destinations are allowed: no webhook receiver lives there, and
// credentials do. (AWS/GCP/Azure/OCI, AWS ECS task metadata, Alibaba, Azure WireServer, AWS IPv6 IMDS.)
const metadataRules = rules([
  ['169.254.169.254/32', METADATA],
  ['169.254.170.2/32', METADATA],
  ['100.100.100.200/32', METADATA],
  ['168.63.129.16/32', METADATA],
  ['fd00:ec2::254/128', METADATA],
]);

// First match wins, so specific ranges come before the ranges that contain them.
const ipv4Rules = rules([
  ['255.255.255.255/32', 'broadcast'],
  ['0.0.0.0/8', 'unspecified ("this network")'],
  ['10.0.0.0/8', 'private network'],
  ['100.64.0.0/10', 'carrier-grade NAT (shared address space)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private network'],
  ['192.0.0.0/24', 'IETF protocol assignment'],
  ['192.0.2.0/24', 'documentation range'],
  ['192.88.99.0/24', 'deprecated 6to4 relay anycast'],
  ['192.168.0.0/16', 'private network'],
  ['198.18.0.0/15', 'benchmarking range'],
  ['198.51.100.0/24', 'documentation range'],
  ['203.0.113.0/24', 'documentation range'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
]);

const ipv6OwnRules = rules([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
]);

const ipv6Rules = rules([
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['100::/64', 'discard-only'],
  ['2001::/32', 'Teredo tunnel'],
  ['2001::/23', 'IETF protocol assignment'],
  ['2001:db8::/32', 'documentation range'],
  ['3fff::/20', 'documentation range'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
]);

const globalUnicast = ipaddr.parseCIDR('2000::/3');

// IPv6 forms that carry an IPv4 address: the connection really goes to that IPv4 address (or a
// translator in front of it), so they are judged by it. NAT64 of a public address stays allowed
// because IPv6-only networks with DNS64 reach every IPv4-only receiver that way.
const embeddingRules: Array<{ range: Range; label: string; offset: number; deprecated?: boolean }> = [
  { range: ipaddr.parseCIDR('::ffff:0:0/96'), label: 'IPv4-mapped IPv6', offset: 12 },
  { range: ipaddr.parseCIDR('::ffff:0:0:0/96'), label: 'IPv4-translated IPv6', offset: 12 },
  { range: ipaddr.parseCIDR('64:ff9b::/96'), label: 'NAT64', offset: 12 },
  { range: ipaddr.parseCIDR('::/96'), label: 'IPv4-compatible IPv6', offset: 12, deprecated: true },
  { range: ipaddr.parseCIDR('2002::/16'), label: '6to4', offset: 2 },
];

function firstMatch(addr: ipaddr.IPv4 | ipaddr.IPv6, list: Rule[]): string | null {
  for (const rule of list) if (addr.kind() === rule.range[0].kind() && addr.match(rule.range)) return rule.reason;
  return null;
}

function classifyIPv4(addr: ipaddr.IPv4): string | null {
  return firstMatch(addr, metadataRules) ?? firstMatch(addr, ipv4Rules);
}

function classifyIPv6(addr: ipaddr.IPv6): string | null {
  const own = firstMatch(addr, metadataRules) ?? firstMatch(addr, ipv6OwnRules);
  if (own) return own;
  for (const e of embeddingRules) {
    if (!addr.match(e.range)) continue;
    const bytes = addr.toByteArray().slice(e.offset, e.offset + 4);
    const v4 = new ipaddr.IPv4(bytes);
    const reason = classifyIPv4(v4);
    if (reason) return `${e.label} form of ${v4.toString()}, ${reason}`;
    return e.deprecated ? `${e.label} (deprecated, not routable)` : null;
  }
  const reason = firstMatch(addr, ipv6Rules);
  if (reason) return reason;
  return addr.match(globalUnicast) ? null : 'reserved (not global unicast)';
}

/**
 * Parses an IP literal in any notation a URL or resolver could produce: brackets, zone ids,
 * and the legacy IPv4 forms (`2130706433`, `0x7f.1`, `017700000001`) — those are normalized the
 * way WHATWG URL (and so undici) does, so we judge exactly the address that would be dialed.
 */
function parseIp(input: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  let s = input.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zoneless = s.replace(/%.*$/, '');
  // Re-serialized by WHATWG URL first: ipaddr.js reads `::1.2.3.4` as `::ffff:1.2.3.4`, and we
  // want the address exactly as undici and Node would dial it.
  if (net.isIPv6(zoneless)) return ipaddr.IPv6.parse(new URL(`http://[${zoneless}]/`).hostname.slice(1, -1));
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s);
  if (!/^[0-9a-fx.]+$/i.test(s)) return null;
  try {
    const host = new URL(`http://${s}/`).hostname;
    return ipaddr.IPv4.isValidFourPartDecimal(host) ? ipaddr.IPv4.parse(host) : null;
  } catch {
    return null;
  }
}

/** Why `ip` must not be dialed, or null when it is a public address. Non-IP input is refused. */
export function isBlockedAddress(ip: string): string | null {
  const addr = parseIp(ip);
  if (!addr) return 'not an IP address';
  return addr.kind() === 'ipv4' ? classifyIPv4(addr as ipaddr.IPv4) : classifyIPv6(addr as ipaddr.IPv6);
}

/** Applies the allowPrivate policy: it opens everything except cloud metadata endpoints. */
function addressPolicy(ip: string, allowPrivate: boolean): string | null {
  const reason = isBlockedAddress(ip);
  return reason && (!allowPrivate || reason.includes(METADATA) || reason === 'not an IP address') ? reason : null;
}

/**
 * What can be decided from the host name alone, without DNS: IP literals in any notation, and
 * `localhost` names (RFC 6761 reserves `*.localhost` for loopback). Null means "resolve it".
 */
export function isBlockedHostname(host: string): string | null {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  if (h === '') return 'empty host';
  if (h === 'localhost' || h.endsWith('.localhost')) return 'localhost name (loopback)';
  return parseIp(h) ? isBlockedAddress(h) : null;
}

function hostPolicy(host: string, allowPrivate: boolean): string | null {
  const reason = isBlockedHostname(host);
  if (!reason || !allowPrivate) return reason;
  return parseIp(host) ? addressPolicy(host, true) : null;
}

/** The `dns.lookup(host, { all: true }, cb)` shape; `dns.lookup` itself fits. */
export type Resolver = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

export interface DestinationOptions {
  allowPrivate: boolean;
  /** Resolver override (tests, custom DNS); defaults to the system resolver, like net.connect. */
  lookup?: Resolver;
}

/**
 * A `lookup` for net/tls.connect that resolves every address and refuses the connection before
 * any socket is opened when one of them is blocked. Node skips `lookup` for IP literals; those are
 * checked by the connector itself.
 */
function guardedLookup(allowPrivate: boolean, resolve: Resolver): net.LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      for (const { address } of addresses) {
        const reason = addressPolicy(address, allowPrivate);
        if (reason) return callback(new BlockedDestinationError(hostname, address, reason), '');
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * Wraps a connector so a socket whose remote address is blocked is destroyed the moment TCP
 * connects — before undici writes a request and, for TLS, before the ClientHello (our listener is
 * prepended ahead of the TLS start, which then finds no handle). This is the check on the address
 * actually connected to, whatever resolved it.
 */
export function withRemoteAddressCheck(connect: buildConnector.connector, allowPrivate: boolean): buildConnector.connector {
  return (options, callback) => {
    let blocked: BlockedDestinationError | null = null;
    const check = (socket: net.Socket): BlockedDestinationError | null => {
      const address = socket.remoteAddress ?? 'unknown';
      const reason = socket.remoteAddress ? addressPolicy(address, allowPrivate) : 'remote address unknown';
      return reason ? new BlockedDestinationError(options.hostname, address, reason) : null;
    };
    // The base connector returns its socket (undici's does), though its type says void.
    const socket = connect(options, (err, sock) => {
      if (err) return callback(blocked ?? err, null);
      const error = blocked ?? check(sock as net.Socket);
      if (!error) return callback(null, sock as net.Socket);
      (sock as net.Socket).destroy();
      return callback(error, null);
    }) as unknown as net.Socket | undefined;
    socket?.prependOnceListener?.('connect', () => {
      blocked = check(socket);
      if (blocked) socket.destroy(blocked);
    });
  };
}

/**
 * The connector for the delivery Agent: `new Agent({ connect: createGuardedConnector(...) })`.
 * Three layers, all failing with code HERALD_BLOCKED_DESTINATION: the host name (IP literals,
 * `localhost`), every resolved address (before connecting), and the connected remote address.
 */
export function createGuardedConnector(opts: DestinationOptions & { connectTimeoutMs?: number; httpsOnly?: boolean }): buildConnector.connector {
  const base = buildConnector({
    timeout: opts.connectTimeoutMs,
    lookup: guardedLookup(opts.allowPrivate, opts.lookup ?? dns.lookup),
  });
  const guarded = withRemoteAddressCheck(base, opts.allowPrivate);
  return (options, callback) => {
    const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
    // HTTPS-only is enforced here too, not just at save: webhooks saved before it was switched on
    // (and stored snapshots) must not go out in the clear either.
    const reason = opts.httpsOnly && options.protocol !== 'https:' ? HTTPS_ONLY_REASON : hostPolicy(host, opts.allowPrivate);
    if (reason) {
      const address = parseIp(host)?.toString() ?? host;
      return queueMicrotask(() => callback(new BlockedDestinationError(options.hostname, address, reason), null));
    }
    return guarded(options, callback);
  };
}

export const HTTPS_ONLY_REASON = 'plain http is not allowed (HERALD_HTTPS_ONLY is on)';

/** Save-time HTTPS-only rule for a webhook URL template (its scheme is always literal text). */
export function httpsOnlyIssues(urlTemplate: string, httpsOnly: boolean): Array<{ path: string; message: string }> {
  return httpsOnly && !/^https:\/\//i.test(urlTemplate.trim()) ? [{ path: 'url', message: 'must be an https URL (HERALD_HTTPS_ONLY is on)' }] : [];
}

/**
 * Save-time / pre-flight check of a (rendered) URL: scheme, host, and the addresses it resolves to
 * now. Returns why it is refused, or null. A name that does not resolve is not refused here — that
 * is a delivery failure, not an SSRF risk, and the connector checks again at send time.
 */
export async function checkUrlDestination(url: string, opts: DestinationOptions & { httpsOnly: boolean }): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (opts.httpsOnly && parsed.protocol !== 'https:') return 'only https URLs are allowed';
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'only http and https URLs are allowed';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const hostReason = hostPolicy(host, opts.allowPrivate);
  if (hostReason) return `${parsed.hostname}: ${hostReason}`;
  if (parseIp(host)) return null;
  const resolve: Resolver = opts.lookup ?? dns.lookup;
  const addresses = await new Promise<dns.LookupAddress[]>((done) => resolve(host, { all: true }, (err, all) => done(err ? [] : all)));
  for (const { address } of addresses) {
    const reason = addressPolicy(address, opts.allowPrivate);
    if (reason) return `${host} resolves to ${address}: ${reason}`;
  }
  return null;
}
