import type { ScanHost } from '../net/connect-scan.js';
import { type AddressRange, addressToBigInt, bigIntToAddress, parseAddress } from '../net/scope.js';
import type { Target } from './targets.js';

/** A single address and port to probe besides the ranges: `host:port` targets, vantage API servers. */
export interface ExtraProbe {
  address: string;
  port: number;
}

/** What the port scan will do: how many distinct hosts, how many probes, and the hosts as a stream. */
export interface ScanPlan {
  hostCount: number;
  probeCount: number;
  hosts(): Generator<ScanHost>;
}

interface Span<N> {
  first: N;
  last: N;
}

/** Sorts and merges overlapping or adjacent spans, so every address appears in exactly one. */
function merge<N extends number | bigint>(spans: Span<N>[], after: (n: N) => N): Span<N>[] {
  spans.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: Span<N>[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s.first <= after(last.last)) {
      if (s.last > last.last) last.last = s.last;
    } else out.push({ ...s });
  }
  return out;
}

function ipv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function containedIn<N extends number | bigint>(spans: Span<N>[], n: N): boolean {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (n < spans[mid].first) hi = mid - 1;
    else if (n > spans[mid].last) lo = mid + 1;
    else return true;
  }
  return false;
}

/** An address as the number the spans hold (plain for IPv4), with its normalised text. */
function toNumber(
  text: string,
): (({ family: 4; n: number } | { family: 6; n: bigint }) & { address: string }) | undefined {
  const addr = parseAddress(text);
  if (!addr) return undefined;
  const n = addressToBigInt(addr);
  const address = addr.toString();
  return addr.kind() === 'ipv4' ? { family: 4, n: Number(n), address } : { family: 6, n, address };
}

/**
 * Plans the port scan. Ranges (CIDRs, ranges, single addresses, every address of a resolved hostname)
 * are merged into disjoint spans per family, so overlapping targets are scanned once without building a
 * set of addresses: a /16 stays two numbers. Probes with their own port (`host:port`, API servers of
 * vantage points) are added to their host's list unless the default set already covers them. IPv4 is
 * counted with plain numbers: no big-integer arithmetic per address.
 */
export function planScan(
  targets: readonly Target[],
  resolved: ReadonlyMap<string, readonly string[]>,
  ports: readonly number[],
  extra: readonly ExtraProbe[] = [],
): ScanPlan {
  const v4: Span<number>[] = [];
  const v6: Span<bigint>[] = [];
  const addRange = (r: AddressRange) => {
    if (r.family === 4) v4.push({ first: Number(r.first), last: Number(r.last) });
    else v6.push({ first: r.first, last: r.last });
  };
  const singles: ExtraProbe[] = [...extra];
  for (const t of targets) {
    const addresses = t.kind === 'hostname' ? (resolved.get(t.hostname) ?? []) : [];
    if (t.port !== undefined) {
      if (t.kind === 'range') singles.push({ address: bigIntToAddress(t.range.first, t.range.family), port: t.port });
      for (const address of addresses) singles.push({ address, port: t.port });
      continue;
    }
    if (t.kind === 'range') addRange(t.range);
    for (const address of addresses) {
      const n = toNumber(address);
      if (n?.family === 4) v4.push({ first: n.n, last: n.n });
      else if (n?.family === 6) v6.push({ first: n.n, last: n.n });
    }
  }
  const spans4 = merge(v4, (n) => n + 1);
  const spans6 = merge(v6, (n) => n + 1n);
  const defaults = new Set(ports);

  // Extra ports by host: those of hosts inside the spans join that host's list, the rest stand alone.
  const inside = new Map<string, Set<number>>();
  const outside = new Map<string, Set<number>>();
  for (const p of singles) {
    const n = toNumber(p.address);
    if (!n) continue;
    const { address } = n;
    const covered = n.family === 4 ? containedIn(spans4, n.n) : containedIn(spans6, n.n);
    if (covered && defaults.has(p.port)) continue;
    const map = covered ? inside : outside;
    const set = map.get(address) ?? new Set<number>();
    set.add(p.port);
    map.set(address, set);
  }
  const sorted = (set: Iterable<number>) => [...set].sort((a, b) => a - b);

  let spanHosts = 0;
  for (const s of spans4) spanHosts += s.last - s.first + 1;
  for (const s of spans6) spanHosts += Number(s.last - s.first + 1n);
  let extraProbes = 0;
  for (const set of [...inside.values(), ...outside.values()]) extraProbes += set.size;

  return {
    hostCount: spanHosts + outside.size,
    probeCount: spanHosts * ports.length + extraProbes,
    *hosts() {
      const withExtra = (address: string): readonly number[] => {
        const more = inside.get(address);
        return more ? sorted([...ports, ...more]) : ports;
      };
      for (const s of spans4) {
        for (let n = s.first; n <= s.last; n++) {
          const address = ipv4(n);
          yield { address, ports: inside.size ? withExtra(address) : ports };
        }
      }
      for (const s of spans6) {
        for (let n = s.first; n <= s.last; n++) {
          const address = bigIntToAddress(n, 6);
          yield { address, ports: inside.size ? withExtra(address) : ports };
        }
      }
      for (const [address, set] of outside) yield { address, ports: sorted(set) };
    },
  };
}
