import type { Command } from 'commander';
import { defaultConfig } from '../core/config.js';
import { EXIT, UsageError } from '../core/errors.js';
import type { KfEvent } from '../core/events.js';
import { discoveryHunters } from '../discovery/hunters.js';
import { hostPort } from '../net/scope.js';
import type { HuntResult } from '../run/hunt.js';
import { registerScanOptions, type ScanFlags, scanConfig } from './flags/scan.js';
import { registerShardOption, type ShardFlags, shardTargets } from './flags/shard.js';
import {
  registerVantageOptions,
  targetsNamed,
  type VantageFlags,
  vantageConfig,
  vantageNamesTargets,
} from './flags/vantage.js';
import { logHooks } from './logs.js';
import { runFromCli } from './run.js';

type DiscoverFlags = ScanFlags & ShardFlags & VantageFlags & { format?: string };

const FORMATS = ['table', 'json'] as const;

function table(services: KfEvent<'ServiceFound'>[]): string {
  const rows = services.map((s) => [hostPort(s.host, s.port), s.kind, s.scheme, s.version ?? '-', s.evidence[0] ?? '']);
  const header = ['ADDRESS', 'KIND', 'SCHEME', 'VERSION', 'EVIDENCE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Sorts services by address (numerically for IPv4) and port. */
function byAddress(a: KfEvent<'ServiceFound'>, b: KfEvent<'ServiceFound'>): number {
  const key = (h: string) =>
    h.includes(':')
      ? `2${h}`
      : `1${h
          .split('.')
          .map((o) => o.padStart(3, '0'))
          .join('.')}`;
  return key(a.host).localeCompare(key(b.host)) || a.port - b.port;
}

export function registerDiscover(program: Command): void {
  const cmd = program
    .command('discover')
    .description('scan and fingerprint the targets, print the services found; no other hunter runs')
    .argument('[targets...]', 'IP, hostname, CIDR, range (127.0.0.2-127.0.0.9), host:port, IPv6 literal')
    .option('--format <format>', 'table or json (default table)');
  registerScanOptions(cmd);
  registerShardOption(cmd);
  registerVantageOptions(cmd);
  cmd.action(async (positional: string[], flags: DiscoverFlags, command: Command) => {
    const format = flags.format ?? 'table';
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`--format takes ${FORMATS.join(' or ')}, not "${format}"`);
    }
    // Only scan and vantage settings: discovery runs no other hunter, so it loads none of them.
    const all = { ...flags, debug: command.optsWithGlobals().debug };
    const scan = scanConfig(positional, all, !vantageNamesTargets(all));
    const config = defaultConfig({
      ...scan,
      ...(all.shard && scan.targets ? { targets: shardTargets(scan.targets, all.shard) } : {}),
      ...(await vantageConfig(all, targetsNamed(positional, all))),
    });
    process.exitCode = await runFromCli(config, discoveryHunters, logHooks(config.debug), (result) => {
      printServices(result, format);
      return EXIT.ok;
    });
  });
}

function printServices(result: HuntResult, format: string): void {
  const services = result.events.filter((e): e is KfEvent<'ServiceFound'> => e.type === 'ServiceFound').sort(byAddress);
  if (format === 'json') {
    const out = services.map(({ host, port, kind, scheme, version, cert, evidence }) => ({
      host,
      port,
      kind,
      scheme,
      version,
      cert,
      evidence,
    }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stdout.write(services.length ? `${table(services)}\n` : 'no services found\n');
    // A port that could not be identified is named, so "no services found" never hides one.
    const gaps = result.events.filter((e): e is KfEvent<'CoverageGap'> => e.type === 'CoverageGap');
    for (const g of gaps) {
      const where = g.host ? (g.port ? hostPort(g.host, g.port) : g.host) : '-';
      process.stdout.write(`not fully examined: ${where} ${g.subject} (${g.reason}, ${g.hunter}): ${g.detail}\n`);
    }
    const seen = result.events.filter((e) => e.type === 'AddressLearned' && !e.inScope).length;
    process.stdout.write(
      `${services.length} services, ${result.trace.connects} connects, ${(result.durationMs / 1000).toFixed(1)} s${seen ? `, ${seen} addresses seen outside the scope (not contacted)` : ''}${gaps.length ? `, ${gaps.length} not fully examined` : ''}\n`,
    );
  }
}
