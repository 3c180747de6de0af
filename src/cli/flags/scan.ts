import type { Command } from 'commander';
import { CORE_PORTS, DEFAULT_MAX_MEMORY_MIB, type HuntConfig } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';
import type { Severity } from '../../core/events.js';
import { checkTargetSize, parseTarget } from '../../discovery/targets.js';
import { parseDnsServer } from '../../net/resolve.js';
import { collect, integer, portList, seconds, severityOrNone, targetsFromFile } from '../options.js';
import { checkWritable } from './places.js';

/** Targets, ports, pacing, limits and the audit trail. */
export interface ScanFlags {
  targetsFile?: string;
  scope?: string[];
  dnsServer?: string[];
  ports?: number[];
  quick?: boolean;
  concurrency?: number;
  rate?: number;
  timeout?: number;
  requestTimeout?: number;
  handshakeTimeout?: number;
  hunterTimeout?: number;
  maxMemory?: number;
  trace?: string;
  allowLarge?: boolean;
  failOn?: Severity | 'none';
  failOnPossible?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

export function registerScanOptions(cmd: Command): Command {
  return cmd
    .option('--targets-file <file>', 'read more targets from a file, one or more per line, # comments')
    .option('--scope <cidr>', 'add addresses that may be contacted beyond the targets (repeatable)', collect)
    .option(
      '--dns-server <address>',
      "resolve hostnames through this name server (IP[:port], repeatable) instead of the system's resolver",
      collect,
    )
    .option('--ports <list>', 'ports to scan instead of the default set, e.g. 6443,10250-10259', portList)
    .option('--quick', `scan only the core ports (${CORE_PORTS.join(', ')})`)
    .option(
      '--concurrency <n>',
      'TCP connections in flight during the scan (default 2048)',
      integer('--concurrency', 1, 20000),
    )
    .option(
      '--rate <n>',
      'at most this many new connections per second, scan and hunters together (default: no limit)',
      integer('--rate', 1, 1000000),
    )
    .option('--timeout <seconds>', 'TCP connect timeout (default 1.5)', seconds('--timeout', 120))
    .option(
      '--request-timeout <seconds>',
      'HTTP request deadline, per attempt (default 5)',
      seconds('--request-timeout', 600),
    )
    .option(
      '--handshake-timeout <seconds>',
      'TLS handshake deadline once connected (default: half the request timeout, at least the connect timeout)',
      seconds('--handshake-timeout', 600),
    )
    .option(
      '--hunter-timeout <seconds>',
      'time a hunter gets for one subject (default 30)',
      seconds('--hunter-timeout'),
    )
    .option(
      '--max-memory <MiB>',
      `memory budget in MiB: near it new work waits, what cannot start is reported as coverage; 0 for none (default ${DEFAULT_MAX_MEMORY_MIB}, fits a 512 MiB pod)`,
      integer('--max-memory', 0, 1024 * 1024),
    )
    .option('--trace <file>', 'write every request sent (and every refusal) as a JSON line')
    .option('--allow-large', 'allow targets of more than 65,536 addresses')
    .option(
      '--fail-on <severity>',
      'exit 1 when a finding is at or above: info|low|medium|high|critical|none (default high)',
      severityOrNone('--fail-on'),
    )
    .option(
      '--fail-on-possible',
      'possible findings (a condition the hunt could not check) count for --fail-on too; by default they do not',
    )
    .option('--quiet', 'print only the summary')
    .hook('preAction', (command) => {
      // Before identities are loaded (a kubeconfig's exec plugin may already talk to the network).
      const trace = command.opts<ScanFlags>().trace;
      if (trace) checkWritable(trace, '--trace');
    });
}

/**
 * The scan part of a HuntConfig. `positional` are the targets typed on the command line; `required`
 * is false when another source (a vantage point) names the API server, so no target is needed.
 */
export function scanConfig(positional: string[], flags: ScanFlags, required = true): Partial<HuntConfig> {
  const texts = [...positional, ...(flags.targetsFile ? targetsFromFile(flags.targetsFile) : [])];
  if (texts.length === 0 && required) {
    throw new UsageError(
      'name at least one target: an address, CIDR, range or hostname (e.g. `kubeferret hunt 10.0.0.5 10.0.1.0/24`), or --targets-file FILE; kubeferret never picks targets by itself',
    );
  }
  const targets = texts.map(parseTarget);
  checkTargetSize(targets, flags.allowLarge ?? false);
  for (const s of flags.scope ?? []) parseTarget(s);
  return {
    targets,
    scope: flags.scope ?? [],
    dnsServers: (flags.dnsServer ?? []).map(parseDnsServer),
    ports: flags.ports ?? (flags.quick ? [...CORE_PORTS] : undefined),
    concurrency: flags.concurrency,
    rate: flags.rate,
    connectTimeoutMs: flags.timeout,
    requestTimeoutMs: flags.requestTimeout,
    handshakeTimeoutMs: flags.handshakeTimeout,
    hunterTimeoutMs: flags.hunterTimeout,
    maxMemoryBytes: flags.maxMemory === undefined ? undefined : flags.maxMemory * 1024 * 1024,
    tracePath: flags.trace,
    allowLarge: flags.allowLarge ?? false,
    failOn: flags.failOn,
    failOnPossible: flags.failOnPossible ?? false,
    quiet: flags.quiet ?? false,
    debug: flags.debug ?? false,
  };
}
