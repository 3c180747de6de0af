import ipaddr from 'ipaddr.js';
import { UsageError } from '../core/errors.js';

/** An inclusive address range of one family, as big integers so IPv4 and IPv6 share one code path. */
export interface AddressRange {
  family: 4 | 6;
  first: bigint;
  last: bigint;
  /** As the user wrote it. */
  label: string;
}

export function addressToBigInt(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  let n = 0n;
  for (const b of addr.toByteArray()) n = (n << 8n) | BigInt(b);
  return n;
}

export function bigIntToAddress(n: bigint, family: 4 | 6): string {
  const len = family === 4 ? 4 : 16;
  const bytes = new Array<number>(len);
  let v = n;
  for (let i = len - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** Parses one address, unwrapping IPv4-mapped IPv6 so `::ffff:127.0.0.2` and `127.0.0.2` are the same host. */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!ipaddr.isValid(bare)) return undefined;
  // ipaddr.isValid accepts shorthand like "127.1"; only dotted quads and real IPv6 count as addresses here.
  if (!bare.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(bare)) return undefined;
  const addr = ipaddr.parse(bare);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr;
}

/** Normal textual form of an address (IPv6 compressed, mapped IPv4 unwrapped). */
export function normalizeAddress(text: string): string | undefined {
  return parseAddress(text)?.toString();
}

/**
 * Parses an address, CIDR or `first-last` range. Throws UsageError with one line that says what is wrong.
 */
export function parseRange(text: string): AddressRange {
  const label = text.trim();
  if (label.includes('/')) {
    const [addrText, prefixText] = label.split('/');
    const addr = parseAddress(addrText);
    if (!addr) throw new UsageError(`"${label}" is not a CIDR: "${addrText}" is not an IP address`);
    const family = addr.kind() === 'ipv4' ? 4 : 6;
    const max = family === 4 ? 32 : 128;
    if (!/^\d+$/.test(prefixText) || Number(prefixText) > max) {
      throw new UsageError(`"${label}": the prefix length must be 0-${max}`);
    }
    const prefix = Number(prefixText);
    const bits = BigInt(max - prefix);
    const base = (addressToBigInt(addr) >> bits) << bits;
    return { family, first: base, last: base + (1n << bits) - 1n, label };
  }
  const dash = label.indexOf('-');
  if (dash > 0) {
    const a = parseAddress(label.slice(0, dash));
    const bText = label.slice(dash + 1);
    if (!a) throw new UsageError(`"${label}" is not a range: "${label.slice(0, dash)}" is not an IP address`);
    let b = parseAddress(bText);
    // Allow the short form 127.0.0.2-9 (last octet only).
    if (!b && a.kind() === 'ipv4' && /^\d{1,3}$/.test(bText)) {
      const octets = a.toString().split('.');
      octets[3] = bText;
      b = parseAddress(octets.join('.'));
    }
    if (!b) throw new UsageError(`"${label}" is not a range: "${bText}" is not an IP address`);
    if (a.kind() !== b.kind()) throw new UsageError(`"${label}" mixes IPv4 and IPv6`);
    const first = addressToBigInt(a);
    const last = addressToBigInt(b);
    if (last < first) throw new UsageError(`"${label}": the range ends before it starts`);
    return { family: a.kind() === 'ipv4' ? 4 : 6, first, last, label };
  }
  const addr = parseAddress(label);
  if (!addr) throw new UsageError(`"${label}" is not an IP address, CIDR or range`);
  const n = addressToBigInt(addr);
  return { family: addr.kind() === 'ipv4' ? 4 : 6, first: n, last: n, label };
}

export function rangeSize(r: AddressRange): bigint {
  return r.last - r.first + 1n;
}

/**
 * The declared scope: exactly the addresses the user named. Every connection is checked against it.
 */
export class Scope {
  private readonly ranges: AddressRange[] = [];

  constructor(ranges: Iterable<AddressRange> = []) {
    for (const r of ranges) this.add(r);
  }

  add(range: AddressRange): void {
    this.ranges.push(range);
  }

  addText(text: string): void {
    this.add(parseRange(text));
  }

  contains(address: string): boolean {
    const addr = parseAddress(address);
    if (!addr) return false;
    const family = addr.kind() === 'ipv4' ? 4 : 6;
    const n = addressToBigInt(addr);
    return this.ranges.some((r) => r.family === family && n >= r.first && n <= r.last);
  }

  labels(): string[] {
    return this.ranges.map((r) => r.label);
  }
}

/** A host as it stands in a URL or `host:port`: an IPv6 literal in brackets, anything else as it is. */
export function hostLabel(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** `host:port`, an IPv6 literal in brackets. */
export function hostPort(host: string, port: number): string {
  return `${hostLabel(host)}:${port}`;
}

/** The host of a URL, as events name hosts (addresses normalised, IPv6 without brackets). Throws on a non-URL. */
export function hostOfUrl(url: string): string {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  return normalizeAddress(host) ?? host;
}
