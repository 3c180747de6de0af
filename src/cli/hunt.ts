import type { Command } from 'commander';
import { defaultJournalPath } from '../active/journal.js';
import { formatPlan } from '../active/plan.js';
import { defaultConfig, type HuntConfig } from '../core/config.js';
import { EXIT } from '../core/errors.js';
import { runHunt } from '../core/hunt.js';
import { HUNTERS } from '../hunters/index.js';
import { type ActiveFlags, activeConfig, confirmActive, registerActiveOptions } from './flags/active.js';
import { type CveFlags, cveConfig, cveNeedsNoTarget, registerCveOptions } from './flags/cve.js';
import { exitCodeOf, logHooks, type OutputFlags, registerOutputOptions, writeOutputs } from './flags/output.js';
import { registerScanOptions, type ScanFlags, scanConfig } from './flags/scan.js';
import { registerVantageOptions, type VantageFlags, vantageConfig, vantageNamesTargets } from './flags/vantage.js';
import { interruptOnSignals } from './interrupt.js';

export type HuntFlags = ScanFlags & VantageFlags & ActiveFlags & CveFlags & OutputFlags;

/** Turns the command line into a validated HuntConfig; every problem is a one-line UsageError. */
export function configFromFlags(positional: string[], flags: HuntFlags): HuntConfig {
  return defaultConfig({
    ...scanConfig(positional, flags, !(vantageNamesTargets(flags) || cveNeedsNoTarget(flags))),
    ...vantageConfig(flags),
    ...activeConfig(flags),
    ...cveConfig(flags),
  });
}

export function registerHunt(program: Command): void {
  const cmd = program
    .command('hunt')
    .description('discover Kubernetes components on the targets you name and hunt for weaknesses')
    .argument('[targets...]', 'IP, hostname, CIDR, range (127.0.0.2-127.0.0.9), host:port, IPv6 literal');
  for (const register of [
    registerScanOptions,
    registerVantageOptions,
    registerActiveOptions,
    registerCveOptions,
    registerOutputOptions,
  ]) {
    register(cmd);
  }
  cmd.action(async (positional: string[], flags: HuntFlags, command: Command) => {
    const config = configFromFlags(positional, { ...flags, debug: command.optsWithGlobals().debug });
    await confirmActive(config, HUNTERS);
    const journal = config.journalPath ?? defaultJournalPath(config.runId ?? '');
    const interrupt = interruptOnSignals(
      config.active && !config.dryRun
        ? {
            onStop: `undoing the changes made so far before exiting (journal ${journal})`,
            whileStopping: `clean-up in progress: kubeferret exits once every change is undone (journal ${journal})`,
          }
        : { onStop: 'reporting what was found so far', whileStopping: 'stopping, please wait' },
    );
    let result: Awaited<ReturnType<typeof runHunt>>;
    try {
      result = await runHunt(config, HUNTERS, { signal: interrupt.signal, ...logHooks(config.debug) });
    } finally {
      interrupt.dispose();
    }
    if (config.dryRun) process.stderr.write(formatPlan(result.plan));
    const report = await writeOutputs(result, flags);
    process.exitCode = exitCodeOf(report, config.failOn);
    if (result.journal && result.journal.pending > 0) {
      console.error(
        `kubeferret: ${result.journal.pending} change(s) could not be undone: run \`kubeferret cleanup --journal ${result.journal.path}\` with an identity that may undo them`,
      );
      process.exitCode = EXIT.failed;
    }
  });
}
