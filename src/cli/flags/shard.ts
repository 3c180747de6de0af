import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { Target } from '../../discovery/targets.js';
import { type AddressRange, bigIntToAddress } from '../../net/scope.js';

/**
 * `--shard I/N`: the I-th of N disjoint slices of the target addresses, so a sweep can be split across
 * machines or the completions of an Indexed Job and merged afterwards (`kubeferret merge`).
 *
 * The slices are contiguous runs of the sorted, de-duplicated addresses (IPv4, then IPv6, then hostnames
 * and address:port targets by name, one each), cut at `floor(total × (I−1) / N)`: their sizes differ by at
 * most one, and they depend only on the set of targets, not on the order they were given in or on the
 * machine. Each shard's scope is its own slice (plus --scope), so what one shard learns about another's
 * addresses is left to that shard. A /16 is never built as a list: slices are computed on the ranges.
 */
export interface Shard {
  index: number;
  count: number;
}

export interface ShardFlags {
  shard?: Shard;
}

export function registerShardOption(cmd: Command): Command {
  return cmd.option(
    '--shard <i/n>',
    'scan only the i-th of n disjoint, balanced slices of the targets (job/n: from JOB_COMPLETION_INDEX); see merge',
    (text: string) => parseShard(text),
  );
}

export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  // `job/N`: the shard of this completion of an Indexed Job, whose index (from 0) Kubernetes sets in
  // JOB_COMPLETION_INDEX; an image without a shell cannot add the one itself.
  const job = /^job\/(\d{1,6})$/.exec(text.trim());
  if (job) {
    const index = env.JOB_COMPLETION_INDEX?.trim() ?? '';
    if (!/^\d{1,6}$/.test(index)) {
      throw new UsageError(
        `--shard ${text}: JOB_COMPLETION_INDEX is ${index ? `"${index}"` : 'not set'}: job/N is for the pods of an Indexed Job`,
      );
    }
    return parseShard(`${Number(index) + 1}/${job[1]}`);
  }
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard takes I/N with 1 ≤ I ≤ N (e.g. 2/4), or job/N in an Indexed Job, not "${text}"`);
  }
  return { index, count };
}

interface Span {
  family: 4 | 6;
  first: bigint;
  last: bigint;
}

/** Merged, sorted spans per family: overlapping or touching targets count each address once. */
function mergedSpans(ranges: readonly AddressRange[]): Span[] {
  const sorted = [...ranges].sort(
    (a, b) => a.family - b.family || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0),
  );
  const out: Span[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && last.family === r.family && r.first <= last.last + 1n) {
      if (r.last > last.last) last.last = r.last;
    } else out.push({ family: r.family, first: r.first, last: r.last });
  }
  return out;
}

function rangeTarget(family: 4 | 6, first: bigint, last: bigint): Target {
  const a = bigIntToAddress(first, family);
  const label = first === last ? a : `${a}-${bigIntToAddress(last, family)}`;
  return { kind: 'range', range: { family, first, last, label }, label };
}

/** The targets of one shard: sub-ranges of the address ranges, and whole hostname or address:port targets. */
export function shardTargets(targets: readonly Target[], shard: Shard): Target[] {
  const plain = targets.filter(
    (t): t is Extract<Target, { kind: 'range' }> => t.kind === 'range' && t.port === undefined,
  );
  const spans = mergedSpans(plain.map((t) => t.range));
  // Hostnames and address:port targets are one item each, after the addresses, in a stable order.
  const singles = [
    ...new Map(targets.filter((t) => !plain.includes(t as never)).map((t) => [t.label, t])).values(),
  ].sort((a, b) => a.label.localeCompare(b.label));
  const total = spans.reduce((n, s) => n + (s.last - s.first + 1n), 0n) + BigInt(singles.length);
  const n = BigInt(shard.count);
  const from = (total * BigInt(shard.index - 1)) / n;
  const to = (total * BigInt(shard.index)) / n; // exclusive
  const out: Target[] = [];
  let offset = 0n;
  for (const s of spans) {
    const size = s.last - s.first + 1n;
    const a = from > offset ? from - offset : 0n;
    const b = to - offset < size ? to - offset : size; // exclusive, within the span
    if (a < b) out.push(rangeTarget(s.family, s.first + a, s.first + b - 1n));
    offset += size;
  }
  singles.forEach((t, i) => {
    const at = offset + BigInt(i);
    if (at >= from && at < to) out.push(t);
  });
  return out;
}
