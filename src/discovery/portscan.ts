import type { Network, PortState } from '../net/network.js';
import { addressesOf, type Target } from './targets.js';

export interface ScanProbe {
  host: string;
  port: number;
}

export interface ScanOptions {
  ports: readonly number[];
  /** Probes in flight at once. */
  concurrency: number;
  timeoutMs: number;
  signal?: AbortSignal;
  onOpen(probe: ScanProbe): void;
}

export interface ScanStats {
  hosts: number;
  probes: number;
  open: number;
}

/** Every (host, port) pair of the targets, in host order, streamed. */
export function* probesOf(targets: readonly Target[], addresses: Map<string, string[]>, ports: readonly number[]) {
  for (const t of targets) {
    const hosts = t.kind === 'range' ? addressesOf(t.range) : (addresses.get(t.hostname) ?? []);
    for (const host of hosts) {
      const list = t.port !== undefined ? [t.port] : ports;
      for (const port of list) yield { host, port, last: port === list[list.length - 1] };
    }
  }
}

/**
 * TCP connect scan: many sockets in flight over a streamed list of probes. Memory stays flat however
 * large the range: only `concurrency` probes exist at any time.
 */
export async function portScan(
  network: Network,
  probes: Iterable<ScanProbe & { last: boolean }>,
  options: ScanOptions,
): Promise<ScanStats> {
  const stats: ScanStats = { hosts: 0, probes: 0, open: 0 };
  const iterator = probes[Symbol.iterator]();
  let exhausted = false;

  const next = (): (ScanProbe & { last: boolean }) | undefined => {
    if (exhausted || options.signal?.aborted) return undefined;
    const r = iterator.next();
    if (r.done) {
      exhausted = true;
      return undefined;
    }
    return r.value;
  };

  const worker = async () => {
    for (let probe = next(); probe; probe = next()) {
      stats.probes++;
      let state: PortState;
      try {
        state = await network.tcp('discovery', probe.host, probe.port, options.timeoutMs, options.signal);
      } catch {
        state = 'filtered';
      }
      if (state === 'open') {
        stats.open++;
        options.onOpen({ host: probe.host, port: probe.port });
      }
      if (probe.last) stats.hosts++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return stats;
}
