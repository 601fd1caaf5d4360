/**
 * IP addresses as numbers, for range checks that cannot be fooled by spelling. IPv4 is a 32-bit and IPv6 a
 * 128-bit bigint; every textual form an OS resolver or URL parser would accept maps to the same number.
 */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface Cidr {
  family: 4 | 6;
  base: bigint;
  bits: number;
}

const WIDTH = { 4: 32, 6: 128 } as const;

/**
 * IPv4 in every form inet_aton(3) and the WHATWG URL parser accept: one to four parts, each decimal, octal
 * (leading 0) or hex (0x), the last part filling the remaining bytes — so `2130706433`, `0x7f.1`,
 * `017700000001` and `127.1` are all 127.0.0.1. Returns null for anything else.
 */
export function parseIPv4(text: string): bigint | null {
  const s = text.endsWith('.') ? text.slice(0, -1) : text;
  if (s === '') return null;
  const parts = s.split('.');
  if (parts.length > 4) return null;
  const nums: bigint[] = [];
  for (const part of parts) {
    let n: bigint;
    if (/^0[xX][0-9a-fA-F]*$/.test(part)) n = part.length === 2 ? 0n : BigInt(part);
    else if (/^0[0-7]+$/.test(part)) n = BigInt(`0o${part.slice(1)}`);
    else if (/^(?:0|[1-9][0-9]*)$/.test(part)) n = BigInt(part);
    else return null;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255n)) return null;
  if (last >= 256n ** BigInt(4 - nums.length)) return null;
  let value = last;
  nums.forEach((n, i) => {
    value += n << BigInt(8 * (3 - i));
  });
  return value;
}

/** IPv6 text (RFC 4291 §2.2, with an optional dotted IPv4 tail); brackets allowed; zone ids refused. */
export function parseIPv6(text: string): bigint | null {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (s.includes('%') || !s.includes(':')) return null;
  const lastColon = s.lastIndexOf(':');
  const after = s.slice(lastColon + 1);
  if (after.includes('.')) {
    // A dotted IPv4 tail stands for the last two groups (RFC 4291 §2.2 form 3).
    if (!/^\d{1,3}(?:\.\d{1,3}){3}$/.test(after)) return null;
    const [a = 0, b = 0, c = 0, d = 0] = after.split('.').map(Number);
    if ([a, b, c, d].some((o) => o > 255)) return null;
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const all = [...head, ...rest];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const total = all.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const zeros = halves.length === 2 ? 8 - total : 0;
  const words = [
    ...head.map((g) => BigInt(`0x${g}`)),
    ...Array<bigint>(zeros).fill(0n),
    ...rest.map((g) => BigInt(`0x${g}`)),
  ];
  return words.reduce((acc, w) => (acc << 16n) | w, 0n);
}

/** A literal address in any accepted spelling, or null when the text is a host name. */
export function parseIp(text: string): IpAddress | null {
  const v6 = parseIPv6(text);
  if (v6 !== null) return { family: 6, value: v6 };
  const v4 = parseIPv4(text);
  return v4 === null ? null : { family: 4, value: v4 };
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    const v = Number(ip.value);
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  }
  const words = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(16 * (7 - i))) & 0xffffn));
  // RFC 5952 §4.2: compress the longest run (of two or more) of zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function parseCidr(text: string): Cidr | null {
  const slash = text.lastIndexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIPv6(addrText) !== null ? parseIp(addrText) : strictIPv4(addrText);
  if (!ip) return null;
  const width = WIDTH[ip.family];
  const bits = slash < 0 ? width : Number(text.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return null;
  return { family: ip.family, base: mask(ip.value, bits, width), bits };
}

function strictIPv4(text: string): IpAddress | null {
  if (!/^\d{1,3}(?:\.\d{1,3}){3}$/.test(text)) return null;
  const v = parseIPv4(text.replace(/(^|\.)0+(\d)/g, '$1$2'));
  return v === null ? null : { family: 4, value: v };
}

const mask = (value: bigint, bits: number, width: number): bigint =>
  bits === 0 ? 0n : (value >> BigInt(width - bits)) << BigInt(width - bits);

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  return cidr.family === ip.family && mask(ip.value, cidr.bits, WIDTH[ip.family]) === cidr.base;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), or null. */
export function mappedIPv4(ip: IpAddress): IpAddress | null {
  if (ip.family !== 6 || ip.value >> 32n !== 0xffffn) return null;
  return { family: 4, value: ip.value & 0xffffffffn };
}
