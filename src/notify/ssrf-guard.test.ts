import type { LookupAddress } from 'node:dns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, parseCidr, parseIPv4, parseIPv6, parseIp } from './ip-address.js';
import { type Resolver, SsrfGuard, SsrfRefusal } from './ssrf-guard.js';

const refusal = (fn: () => unknown): SsrfRefusal => {
  try {
    fn();
  } catch (err) {
    if (err instanceof SsrfRefusal) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

const table = (entries: Record<string, string[]>): Resolver => {
  return async (host) => (entries[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('IP parsing', () => {
  it('reads every numeric IPv4 spelling as the same address', () => {
    for (const form of ['127.0.0.1', '2130706433', '0x7f.1', '017700000001', '0x7f000001', '127.1', '0177.0.0.1'])
      expect(formatIp({ family: 4, value: parseIPv4(form)! }), form).toBe('127.0.0.1');
    expect(parseIPv4('256.0.0.1')).toBeNull();
    expect(parseIPv4('1.2.3.4.5')).toBeNull();
    expect(parseIPv4('example')).toBeNull();
    expect(parseIPv4('08.1.1.1')).toBeNull();
  });

  it('reads IPv6 with compression, brackets and IPv4 tails, and formats per RFC 5952', () => {
    expect(formatIp({ family: 6, value: parseIPv6('[::ffff:127.0.0.1]')! })).toBe('::ffff:7f00:1');
    expect(formatIp({ family: 6, value: parseIPv6('2001:0db8:0:0:0:0:0:1')! })).toBe('2001:db8::1');
    expect(parseIPv6('::')).toBe(0n);
    expect(parseIPv6('1::2::3')).toBeNull();
    expect(parseIPv6('fe80::1%eth0')).toBeNull();
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeNull();
  });

  it('round-trips random addresses', () => {
    fc.assert(
      fc.property(fc.ipV4(), (text) => {
        expect(formatIp(parseIp(text)!)).toBe(text);
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const ip = parseIp(text)!;
        expect(ip.family).toBe(6);
        expect(parseIp(formatIp(ip))).toEqual(ip);
      }),
    );
  });

  it('parses CIDRs and rejects nonsense', () => {
    expect(parseCidr('127.0.0.0/8')).toMatchObject({ family: 4, bits: 8 });
    expect(parseCidr('fd00::/8')).toMatchObject({ family: 6, bits: 8 });
    expect(parseCidr('10.0.0.1')).toMatchObject({ bits: 32 });
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('0x7f.1/8')).toBeNull();
  });
});

describe('SsrfGuard with the default configuration', () => {
  const guard = new SsrfGuard();

  const refused: Record<string, RegExp> = {
    'http://127.0.0.1/': /loopback/,
    'http://127.8.9.10:8080/x': /loopback/,
    'http://10.1.2.3/': /private network \(RFC 1918\)/,
    'http://172.16.0.1/': /RFC 1918/,
    'http://172.31.255.255/': /RFC 1918/,
    'http://192.168.1.10/': /RFC 1918/,
    'http://169.254.169.254/latest/meta-data/': /link-local.*metadata/,
    'http://100.64.0.1/': /carrier-grade NAT/,
    'http://100.100.100.200/': /carrier-grade NAT/,
    'http://224.0.0.1/': /multicast/,
    'http://239.255.255.250/': /multicast/,
    'http://0.0.0.0/': /unspecified/,
    'http://255.255.255.255/': /broadcast/,
    'http://[::1]/': /IPv6 loopback/,
    'http://[::]/': /unspecified IPv6/,
    'http://[fd00::1]/': /unique local/,
    'http://[fd00:ec2::254]/': /unique local/,
    'http://[fe80::1]/': /link-local/,
    'http://[ff02::1]/': /multicast/,
    'http://[::ffff:127.0.0.1]/': /IPv4-mapped/,
    'http://[::ffff:10.0.0.1]/': /IPv4-mapped/,
    'http://[::ffff:8.8.8.8]/': /IPv4-mapped/,
    'http://[64:ff9b::7f00:1]/': /NAT64.*loopback/,
    'http://[2002:7f00:1::]/': /6to4.*loopback/,
    'http://[2001:db8::1]/': /documentation/,
    'http://2130706433/': /loopback/,
    'http://0x7f.1/': /loopback/,
    'http://017700000001/': /loopback/,
    'http://0x7f000001/': /loopback/,
    'http://127.1/': /loopback/,
    'http://0177.0.0.1/': /loopback/,
    'http://0xa9fea9fe/': /link-local/,
    'ftp://example.com/': /scheme ftp is not allowed/,
    'file:///etc/passwd': /scheme file/,
    'gopher://example.com/': /scheme gopher/,
    'javascript:alert(1)': /scheme javascript/,
    'data:text/plain,hi': /scheme data/,
    'not a url': /not a valid absolute URL/,
  };

  for (const [url, why] of Object.entries(refused)) {
    it(`refuses ${url}`, () => {
      const r = refusal(() => guard.checkUrl(url));
      expect(r.reason).toMatch(why);
      expect(r.message).toContain('refused');
    });
  }

  it('explains how to open a private network', () => {
    expect(refusal(() => guard.checkUrl('http://10.0.0.5/')).reason).toMatch(/FIELDLINE_WEBHOOK_ALLOW/);
  });

  it('lets public addresses and host names through the static check', () => {
    for (const url of [
      'https://hooks.example.com/x',
      'http://8.8.8.8/',
      'http://93.184.216.34:8443/',
      'http://[2606:4700::1111]/',
      'http://[64:ff9b::808:808]/',
    ])
      expect(guard.checkUrl(url).href).toBe(new URL(url).href);
  });

  it('refuses a host name that resolves to a private address (injected resolver)', async () => {
    const g = new SsrfGuard({
      resolver: table({ 'internal.example': ['10.0.0.7'], 'meta.example': ['169.254.169.254'] }),
    });
    await expect(g.resolve('internal.example')).rejects.toThrow(/resolves to 10\.0\.0\.7, a private network/);
    await expect(g.resolve('meta.example')).rejects.toThrow(/link-local/);
  });

  it('refuses a host when any one of its addresses is private', async () => {
    const g = new SsrfGuard({ resolver: table({ 'mixed.example': ['93.184.216.34', '127.0.0.1'] }) });
    await expect(g.resolve('mixed.example')).rejects.toThrow(/127\.0\.0\.1, a loopback/);
  });

  it('refuses a host that resolves to an IPv4-mapped or IPv6 private address', async () => {
    const g = new SsrfGuard({ resolver: table({ six: ['::ffff:192.168.0.1'], ula: ['fd12::1'] }) });
    await expect(g.resolve('six')).rejects.toThrow(/IPv4-mapped/);
    await expect(g.resolve('ula')).rejects.toThrow(/unique local/);
  });

  it('refuses a host with no address', async () => {
    const g = new SsrfGuard({ resolver: table({}) });
    await expect(g.resolve('nowhere.example')).rejects.toThrow(/no address/);
  });

  it('gives net.connect the checked address, in both lookup forms', async () => {
    const g = new SsrfGuard({ resolver: table({ 'ok.example': ['93.184.216.34', '2606:4700::1111'] }) });
    const one = await new Promise<[string, number | undefined]>((resolve, reject) =>
      g.lookup('ok.example', {}, (err, address, family) => (err ? reject(err) : resolve([address as string, family]))),
    );
    expect(one).toEqual(['93.184.216.34', 4]);
    const all = await new Promise<LookupAddress[]>((resolve, reject) =>
      g.lookup('ok.example', { all: true, family: 6 }, (err, address) =>
        err ? reject(err) : resolve(address as LookupAddress[]),
      ),
    );
    expect(all).toEqual([{ address: '2606:4700::1111', family: 6 }]);
    const bad = new SsrfGuard({ resolver: table({ 'bad.example': ['127.0.0.1'] }) });
    const err = await new Promise<Error | null>((resolve) => bad.lookup('bad.example', {}, (e) => resolve(e)));
    expect(err).toBeInstanceOf(SsrfRefusal);
  });
});

describe('SsrfGuard with FIELDLINE_WEBHOOK_ALLOW', () => {
  it('opens exactly the listed networks, also through IPv4-mapped forms', async () => {
    const g = new SsrfGuard({
      allow: ['127.0.0.0/8', '10.20.0.0/16', 'fd00:1::/32'],
      resolver: table({ h: ['10.20.3.4'] }),
    });
    expect(g.checkUrl('http://127.0.0.1:9999/').port).toBe('9999');
    expect(g.checkUrl('http://0x7f.1/').hostname).toBe('127.0.0.1');
    expect(g.checkUrl('http://[::ffff:127.0.0.1]/').hostname).toBe('[::ffff:7f00:1]');
    expect(g.checkUrl('http://[fd00:1::5]/').hostname).toBe('[fd00:1::5]');
    await expect(g.resolve('h')).resolves.toEqual([{ address: '10.20.3.4', family: 4 }]);
    expect(() => g.checkUrl('http://10.21.0.1/')).toThrow(SsrfRefusal);
    expect(() => g.checkUrl('http://169.254.169.254/')).toThrow(/link-local/);
    expect(() => g.checkUrl('http://[fd00:2::5]/')).toThrow(/unique local/);
  });

  it('refuses an invalid allowlist entry', () => {
    expect(() => new SsrfGuard({ allow: ['nonsense'] })).toThrow(/not a CIDR/);
  });
});
