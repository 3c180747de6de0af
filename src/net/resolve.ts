import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { UsageError } from '../core/errors.js';
import { hostPort, normalizeAddress } from './scope.js';

/** Every address a hostname resolves to (normalised); rejects when it resolves to none. */
export type NameResolver = (name: string) => Promise<string[]>;

/** The machine's resolver (getaddrinfo: /etc/hosts, then the system's name servers). */
export const systemResolver: NameResolver = async (name) => {
  const found = await lookup(name, { all: true, verbatim: true });
  return unique(found.map((a) => a.address));
};

/** A DNS query's deadline and tries when kubeferret asks a name server itself. */
const QUERY_TIMEOUT_MS = 2000;
const QUERY_TRIES = 2;

/**
 * Asks the given name servers directly (A and AAAA), never the system's: `--dns-server` for a tester who
 * must not leak names to the local resolver, or who resolves through the cluster's own DNS.
 */
export function dnsServerResolver(servers: readonly string[]): NameResolver {
  const resolver = new Resolver({ timeout: QUERY_TIMEOUT_MS, tries: QUERY_TRIES });
  resolver.setServers([...servers]);
  return async (name) => {
    const answers = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    const addresses = answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
    if (addresses.length > 0) return unique(addresses);
    const failures = answers.map((a) => (a.status === 'rejected' ? (a.reason as NodeJS.ErrnoException) : undefined));
    // "No such name" and "no address of this family" both mean: nothing to reach. Anything else (a
    // timeout, a refused query) is said as it is.
    const other = failures.find((f) => f && f.code !== 'ENOTFOUND' && f.code !== 'ENODATA');
    if (other) throw new Error(`${other.code ?? 'error'} from ${servers.join(', ')}`);
    throw new Error(`ENOTFOUND at ${servers.join(', ')}`);
  };
}

function unique(addresses: string[]): string[] {
  return [...new Set(addresses.map((a) => normalizeAddress(a) ?? a))];
}

/**
 * `--dns-server` as written (`127.0.0.53`, `10.96.0.10:53`, `[fd00::a]:5353`, `::1`) to what
 * Resolver.setServers takes; a bad value is one clear line.
 */
export function parseDnsServer(text: string): string {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const [address, port] = bracketed
    ? [bracketed[1], bracketed[2]]
    : isIP(text) === 6
      ? [text, undefined]
      : (text.split(/:(?=[^:]*$)/) as [string, string | undefined]);
  const n = port === undefined ? 53 : Number(port);
  if (!isIP(address ?? '') || !/^\d*$/.test(port ?? '') || n < 1 || n > 65535) {
    throw new UsageError(
      `--dns-server takes a name server's IP address with an optional port (10.96.0.10, 127.0.0.1:5353, [fd00::a]:53), not "${text}"`,
    );
  }
  return hostPort(normalizeAddress(address) ?? address, n);
}
