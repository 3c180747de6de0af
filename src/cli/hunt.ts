import type { Command } from 'commander';
import { CORE_PORTS, defaultConfig, type HuntConfig } from '../core/config.js';
import { EXIT, UsageError } from '../core/errors.js';
import type { Severity } from '../core/events.js';
import { runHunt } from '../core/hunt.js';
import { checkTargetSize, parseTarget } from '../discovery/targets.js';
import { HUNTERS } from '../hunters/index.js';
import { atLeast, severityOf } from '../kb/index.js';
import { renderPlain } from '../report/plain.js';
import { collect, integer, portList, seconds, severityOrNone, targetsFromFile } from './options.js';

export interface HuntFlags {
  targetsFile?: string;
  scope?: string[];
  ports?: number[];
  quick?: boolean;
  concurrency?: number;
  rate?: number;
  timeout?: number;
  requestTimeout?: number;
  hunterTimeout?: number;
  active?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  trace?: string;
  allowLarge?: boolean;
  failOn?: Severity | 'none';
  quiet?: boolean;
  debug?: boolean;
}

/** Turns the command line into a validated HuntConfig; every problem is a one-line UsageError. */
export function configFromFlags(positional: string[], flags: HuntFlags): HuntConfig {
  const texts = [...positional, ...(flags.targetsFile ? targetsFromFile(flags.targetsFile) : [])];
  if (texts.length === 0) {
    throw new UsageError(
      'name at least one target: an address, CIDR, range or hostname (e.g. `kubeferret hunt 10.0.0.5 10.0.1.0/24`), or --targets-file FILE; kubeferret never picks targets by itself',
    );
  }
  const targets = texts.map(parseTarget);
  checkTargetSize(targets, flags.allowLarge ?? false);
  for (const s of flags.scope ?? []) parseTarget(s);
  if (flags.dryRun && !flags.active) throw new UsageError('--dry-run shows the plan of active hunting; add --active');
  return defaultConfig({
    targets,
    scope: flags.scope ?? [],
    ports: flags.ports ?? (flags.quick ? [...CORE_PORTS] : undefined),
    concurrency: flags.concurrency,
    rate: flags.rate,
    connectTimeoutMs: flags.timeout,
    requestTimeoutMs: flags.requestTimeout,
    hunterTimeoutMs: flags.hunterTimeout,
    active: flags.active ?? false,
    yes: flags.yes ?? false,
    dryRun: flags.dryRun ?? false,
    tracePath: flags.trace,
    allowLarge: flags.allowLarge ?? false,
    failOn: flags.failOn,
    quiet: flags.quiet ?? false,
    debug: flags.debug ?? false,
  });
}

export function registerHunt(program: Command): void {
  program
    .command('hunt')
    .description('discover Kubernetes components on the targets you name and hunt for weaknesses')
    .argument('[targets...]', 'IP, hostname, CIDR, range (127.0.0.2-127.0.0.9), host:port, IPv6 literal')
    .option('--targets-file <file>', 'read more targets from a file, one or more per line, # comments')
    .option('--scope <cidr>', 'add addresses that may be contacted beyond the targets (repeatable)', collect)
    .option('--ports <list>', 'ports to scan instead of the default set, e.g. 6443,10250-10259', portList)
    .option('--quick', `scan only the core ports (${CORE_PORTS.join(', ')})`)
    .option(
      '--concurrency <n>',
      'TCP connections in flight during the scan (default 1000)',
      integer('--concurrency', 1, 20000),
    )
    .option(
      '--rate <n>',
      'at most this many new connections per second (default: no limit)',
      integer('--rate', 1, 1000000),
    )
    .option('--timeout <seconds>', 'TCP connect timeout (default 1.5)', seconds('--timeout', 120))
    .option('--request-timeout <seconds>', 'HTTP request deadline (default 5)', seconds('--request-timeout', 600))
    .option(
      '--hunter-timeout <seconds>',
      'time a hunter gets for one subject (default 30)',
      seconds('--hunter-timeout'),
    )
    .option('--active', 'also run active hunters, which change the cluster to prove impact (asks first)')
    .option('--yes', 'consent to active hunting without a prompt (needed when not on a TTY)')
    .option('--dry-run', 'with --active: print what active hunters would send, change nothing')
    .option('--trace <file>', 'write every request sent (and every refusal) as a JSON line')
    .option('--allow-large', 'allow targets of more than 65,536 addresses')
    .option(
      '--fail-on <severity>',
      'exit 1 when a finding is at or above: info|low|medium|high|critical|none (default high)',
      severityOrNone('--fail-on'),
    )
    .option('--quiet', 'print only the summary')
    .action(async (positional: string[], flags: HuntFlags, cmd: Command) => {
      const config = configFromFlags(positional, { ...flags, debug: cmd.optsWithGlobals().debug });
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const result = await runHunt(config, HUNTERS, {
          signal: controller.signal,
          onProblem: (line) => console.error(`warning: ${line}`),
          onDebug: config.debug ? (line) => console.error(`debug: ${line}`) : undefined,
        });
        process.stdout.write(renderPlain(result));
        const findings = result.events.filter((e) => e.type === 'Finding');
        const failing =
          config.failOn !== 'none' && findings.some((f) => atLeast(severityOf(f), config.failOn as Severity));
        process.exitCode = failing ? EXIT.findings : EXIT.ok;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
