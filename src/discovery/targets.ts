import type { Target } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { type AddressRange, bigIntToAddress, parseRange, rangeSize } from '../net/scope.js';

// Target is declared with the run's configuration (src/core/config.ts), below discovery; re-exported here.
export type { Target };

/** Ranges larger than this need --allow-large: a /16 is the most one hunt covers without asking. */
export const LARGE_RANGE = 65_536n;

const HOSTNAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

function parsePort(text: string, whole: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new UsageError(`"${whole}": the port must be 1-65535`);
  }
  return Number(text);
}

/**
 * Parses one target as the user wrote it: `10.0.0.5`, `10.0.0.0/24`, `10.0.0.2-10.0.0.9`, `10.0.0.2-9`,
 * `host.example`, `10.0.0.5:6443`, `[::1]:6443`, `::1`. Throws UsageError with one line on bad input.
 */
export function parseTarget(text: string): Target {
  const label = text.trim();
  if (label === '') throw new UsageError('an empty target was given');
  let body = label;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(label);
  if (bracketed) {
    body = bracketed[1];
    if (bracketed[2] !== undefined) port = parsePort(bracketed[2], label);
  } else if ((label.match(/:/g) ?? []).length === 1) {
    const i = label.lastIndexOf(':');
    body = label.slice(0, i);
    port = parsePort(label.slice(i + 1), label);
  }
  const looksNumeric = /^[\d./-]+$/.test(body) || body.includes(':');
  if (looksNumeric) {
    const range = parseRange(body);
    if (port !== undefined && range.first !== range.last) {
      throw new UsageError(`"${label}": a port can only be given with a single address`);
    }
    return { kind: 'range', range, port, label };
  }
  if (!HOSTNAME.test(body)) {
    throw new UsageError(`"${label}" is not an IP address, CIDR, range or hostname`);
  }
  return { kind: 'hostname', hostname: body.replace(/\.$/, '').toLowerCase(), port, label };
}

/** Rejects targets that would be mistakes to scan without asking. */
export function checkTargetSize(targets: readonly Target[], allowLarge: boolean): void {
  if (allowLarge) return;
  for (const t of targets) {
    if (t.kind === 'range' && rangeSize(t.range) > LARGE_RANGE) {
      throw new UsageError(
        `"${t.label}" covers ${rangeSize(t.range)} addresses, more than ${LARGE_RANGE}; pass --allow-large if you mean it`,
      );
    }
  }
}

/** Iterates the addresses of a range one at a time: a /16 is never built as an array. */
export function* addressesOf(range: AddressRange): Generator<string> {
  for (let n = range.first; n <= range.last; n++) yield bigIntToAddress(n, range.family);
}
