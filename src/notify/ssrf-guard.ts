import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import {
  type Cidr,
  cidrContains,
  formatIp,
  type IpAddress,
  mappedIPv4,
  parseCidr,
  parseIPv4,
  parseIp,
} from './ip-address.js';

/** Turns a host name into every address it has (the OS resolver by default; tests inject their own). */
export type Resolver = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Why an outbound target was refused. Permanent: sending again cannot succeed without a configuration change. */
export class SsrfRefusal extends Error {
  readonly code = 'FIELDLINE_SSRF_REFUSED';
  constructor(
    readonly reason: string,
    readonly target: string,
  ) {
    super(`refused ${target}: ${reason}`);
    this.name = 'SsrfRefusal';
  }
}

interface Range {
  cidr: Cidr;
  why: string;
}

const range = (text: string, why: string): Range => ({ cidr: parseCidr(text)!, why });

// Every IPv4 range that is not the public Internet (IANA special-purpose registry, RFC 6890 and successors).
const BLOCKED_V4: readonly Range[] = [
  range('0.0.0.0/8', 'unspecified / "this network" address (0.0.0.0/8)'),
  range('10.0.0.0/8', 'private network (RFC 1918)'),
  range('100.64.0.0/10', 'carrier-grade NAT / shared address space (RFC 6598)'),
  range('127.0.0.0/8', 'loopback address (127.0.0.0/8)'),
  range('169.254.0.0/16', 'link-local address, where cloud metadata endpoints live (169.254.0.0/16)'),
  range('172.16.0.0/12', 'private network (RFC 1918)'),
  range('192.0.0.0/24', 'IETF protocol assignment (192.0.0.0/24)'),
  range('192.0.2.0/24', 'documentation address (RFC 5737)'),
  range('192.88.99.0/24', 'deprecated 6to4 relay anycast (RFC 7526)'),
  range('192.168.0.0/16', 'private network (RFC 1918)'),
  range('198.18.0.0/15', 'benchmarking network (RFC 2544)'),
  range('198.51.100.0/24', 'documentation address (RFC 5737)'),
  range('203.0.113.0/24', 'documentation address (RFC 5737)'),
  range('224.0.0.0/4', 'multicast address (224.0.0.0/4)'),
  range('240.0.0.0/4', 'reserved or broadcast address (240.0.0.0/4)'),
];

// IPv6: only global unicast (2000::/3) and NAT64 of a public IPv4 address may pass; these are refused first
// with a precise reason. Ranges that embed an IPv4 address are handled in classify().
const BLOCKED_V6: readonly Range[] = [
  range('::/128', 'unspecified IPv6 address (::)'),
  range('::1/128', 'IPv6 loopback address (::1)'),
  range('fc00::/7', 'IPv6 unique local address (fc00::/7)'),
  range('fe80::/10', 'IPv6 link-local address (fe80::/10)'),
  range('fec0::/10', 'deprecated IPv6 site-local address (fec0::/10)'),
  range('ff00::/8', 'IPv6 multicast address (ff00::/8)'),
  range('100::/64', 'IPv6 discard prefix (RFC 6666)'),
  range('2001::/23', 'IETF protocol assignment, Teredo included (2001::/23)'),
  range('2001:db8::/32', 'IPv6 documentation address (RFC 3849)'),
  range('3fff::/20', 'IPv6 documentation address (RFC 9637)'),
  range('64:ff9b:1::/48', 'local-use NAT64 prefix (RFC 8215)'),
];

const IPV4_MAPPED = parseCidr('::ffff:0:0/96')!;
const IPV4_COMPATIBLE = parseCidr('::/96')!;
const NAT64 = parseCidr('64:ff9b::/96')!;
const SIX_TO_FOUR = parseCidr('2002::/16')!;
const GLOBAL_UNICAST = parseCidr('2000::/3')!;

/** Why this address must not be reached from the platform, or null when it is a public address. */
export function classify(ip: IpAddress): string | null {
  if (ip.family === 4) return BLOCKED_V4.find((r) => cidrContains(r.cidr, ip))?.why ?? null;
  const mapped = mappedIPv4(ip);
  if (mapped && cidrContains(IPV4_MAPPED, ip))
    return `IPv4-mapped IPv6 address (::ffff:${formatIp(mapped)}); use the IPv4 address itself`;
  for (const r of BLOCKED_V6) if (cidrContains(r.cidr, ip)) return r.why;
  if (cidrContains(IPV4_COMPATIBLE, ip)) return 'deprecated IPv4-compatible IPv6 address (::/96)';
  if (cidrContains(NAT64, ip)) {
    const inner = classify({ family: 4, value: ip.value & 0xffffffffn });
    return inner === null ? null : `NAT64 address of a refused IPv4 address: ${inner}`;
  }
  if (cidrContains(SIX_TO_FOUR, ip)) {
    const inner = classify({ family: 4, value: (ip.value >> 80n) & 0xffffffffn });
    return inner === null ? null : `6to4 address of a refused IPv4 address: ${inner}`;
  }
  if (!cidrContains(GLOBAL_UNICAST, ip)) return 'not a global unicast IPv6 address (outside 2000::/3)';
  return null;
}

export interface SsrfGuardOptions {
  /** CIDRs that are reachable although private (FIELDLINE_WEBHOOK_ALLOW), for on-premise receivers. */
  allow?: readonly string[];
  resolver?: Resolver;
}

const ALLOW_HINT = 'add its network to FIELDLINE_WEBHOOK_ALLOW to reach on-premise receivers';

/**
 * The rules for every outbound request a user can aim (webhooks, ntfy): http or https only, and every
 * address the host resolves to must be public unless it is in the allowlist. The check runs where the
 * connection is made (see lookup), so what is connected to is exactly what was checked — no DNS rebinding
 * window between a check and a second resolution.
 */
export class SsrfGuard {
  private readonly allow: readonly Cidr[];
  readonly resolver: Resolver;

  constructor(options: SsrfGuardOptions = {}) {
    this.allow = (options.allow ?? []).map((text) => {
      const cidr = parseCidr(text);
      if (!cidr) throw new Error(`not a CIDR: ${text}`);
      return cidr;
    });
    this.resolver = options.resolver ?? systemResolver;
  }

  /** Null when the address may be reached, otherwise why not. */
  refusalOf(ip: IpAddress): string | null {
    const v4 = mappedIPv4(ip);
    if (this.allow.some((c) => cidrContains(c, ip) || (v4 !== null && cidrContains(c, v4)))) return null;
    const why = classify(ip);
    return why === null ? null : `${why}; ${ALLOW_HINT}`;
  }

  /**
   * The checks that need no network: scheme, host present, and a literal address (in any spelling) allowed.
   * Returns the parsed URL. Host names are checked when they are resolved, by lookup().
   */
  checkUrl(raw: string | URL): URL {
    let url: URL;
    try {
      url = raw instanceof URL ? raw : new URL(raw);
    } catch {
      throw new SsrfRefusal('not a valid absolute URL', String(raw).slice(0, 200));
    }
    const shown = `${url.protocol}//${url.host}`;
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new SsrfRefusal(`scheme ${url.protocol.replace(/:$/, '')} is not allowed (http or https only)`, shown);
    const host = url.hostname;
    if (host === '') throw new SsrfRefusal('the URL has no host', shown);
    const literal = literalIp(host);
    if (literal) {
      const why = this.refusalOf(literal);
      if (why) throw new SsrfRefusal(`${formatIp(literal)} is a ${why}`, shown);
    }
    return url;
  }

  /** Resolves a host name and checks every address; all must pass, or the host is refused. */
  async resolve(hostname: string): Promise<LookupAddress[]> {
    const literal = literalIp(hostname);
    const found: { address: string; family: number }[] = literal
      ? [{ address: formatIp(literal), family: literal.family }]
      : [...(await this.resolver(hostname))];
    if (found.length === 0) throw new SsrfRefusal('the host name has no address', hostname);
    const checked: LookupAddress[] = [];
    for (const a of found) {
      const ip = parseIp(a.address);
      if (!ip) throw new SsrfRefusal(`the resolver answered ${JSON.stringify(a.address)}, not an address`, hostname);
      const why = this.refusalOf(ip);
      // One bad address refuses the host: an attacker controls which of several answers a client picks.
      if (why) throw new SsrfRefusal(`it resolves to ${formatIp(ip)}, a ${why}`, hostname);
      checked.push({ address: formatIp(ip), family: ip.family });
    }
    return checked;
  }

  /**
   * A `lookup` for net.connect / tls.connect (and undici's connector): the socket connects to an address
   * that has just been checked. Node skips lookup for literal addresses, so callers also run checkUrl().
   */
  readonly lookup = (
    hostname: string,
    options: { family?: number | string; all?: boolean },
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    this.resolve(hostname).then(
      (all) => {
        const wanted = Number(options.family) === 4 || Number(options.family) === 6 ? Number(options.family) : 0;
        const usable = wanted === 0 ? all : all.filter((a) => a.family === wanted);
        if (usable.length === 0) {
          callback(new SsrfRefusal(`no IPv${wanted} address`, hostname), '', 0);
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), '', 0),
    );
  };
}

/** A host that is an address, in any spelling a resolver or URL parser would read as one. */
export function literalIp(host: string): IpAddress | null {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const ip = parseIp(h);
  if (ip) return ip;
  // Hosts that inet_aton would still read as a number (e.g. with trailing dots) must not slip through.
  const v4 = parseIPv4(h.replace(/\.+$/, ''));
  return v4 === null ? null : { family: 4, value: v4 };
}
