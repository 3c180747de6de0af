import type { Command } from 'commander';
import { formatPlan } from '../active/plan.js';
import { defaultConfig, type HuntConfig } from '../core/config.js';
import { EXIT } from '../core/errors.js';
import { redactorFor } from '../core/redact.js';
import { HUNTERS } from '../hunters/index.js';
import { type ActiveFlags, activeConfig, confirmActive, registerActiveOptions } from './flags/active.js';
import { type CloudFlags, cloudConfig, registerCloudOptions } from './flags/cloud.js';
import { type CveFlags, cveConfig, cveNeedsNoTarget, registerCveOptions } from './flags/cve.js';
import { exitCodeOf, type OutputFlags, registerOutputOptions, writeOutputs } from './flags/output.js';
import { registerScanOptions, type ScanFlags, scanConfig } from './flags/scan.js';
import { chooseHunters, registerSelectOptions, type SelectFlags, withoutMilderFindings } from './flags/select.js';
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

export type HuntFlags = ScanFlags &
  ShardFlags &
  VantageFlags &
  CloudFlags &
  ActiveFlags &
  CveFlags &
  SelectFlags &
  OutputFlags;

/**
 * Turns the command line into a validated HuntConfig; every problem is a one-line UsageError. Async
 * because vantage points read files and load a kubeconfig before anything is sent.
 */
export async function configFromFlags(positional: string[], flags: HuntFlags): Promise<HuntConfig> {
  const scan = scanConfig(positional, flags, !(vantageNamesTargets(flags) || cveNeedsNoTarget(flags)));
  return defaultConfig({
    ...scan,
    ...(flags.shard && scan.targets ? { targets: shardTargets(scan.targets, flags.shard) } : {}),
    ...(await vantageConfig(flags, targetsNamed(positional, flags))),
    ...activeConfig(flags),
    ...cveConfig(flags),
    ...cloudConfig(flags),
  });
}

export function registerHunt(program: Command): void {
  const cmd = program
    .command('hunt')
    .description('discover Kubernetes components on the targets you name and hunt for weaknesses')
    .argument('[targets...]', 'IP, hostname, CIDR, range (127.0.0.2-127.0.0.9), host:port, IPv6 literal');
  for (const register of [
    registerScanOptions,
    registerShardOption,
    registerVantageOptions,
    registerCloudOptions,
    registerActiveOptions,
    registerCveOptions,
    registerSelectOptions,
    registerOutputOptions,
  ]) {
    register(cmd);
  }
  cmd.action(async (positional: string[], flags: HuntFlags, command: Command) => {
    const { hunters, selection, partial } = chooseHunters(HUNTERS, flags);
    const config = await configFromFlags(positional, { ...flags, debug: command.optsWithGlobals().debug });
    if (partial) console.error(`kubeferret: partial run: ${partial}`);
    await confirmActive(config, hunters);
    process.exitCode = await runFromCli(config, hunters, logHooks(config.debug), async (hunted) => {
      const result = withoutMilderFindings(hunted, selection?.minSeverity);
      if (config.dryRun) process.stderr.write(formatPlan(result.plan, redactorFor(result.events)));
      const report = await writeOutputs(result, flags);
      if (result.journal && result.journal.pending > 0) {
        console.error(
          `kubeferret: ${result.journal.pending} change(s) could not be undone: run \`kubeferret cleanup --journal ${result.journal.path}\` with an identity that may undo them`,
        );
        return EXIT.failed;
      }
      return exitCodeOf(report, config.failOn, {
        failOnIncomplete: flags.failOnIncomplete,
        failOnPossible: config.failOnPossible,
      });
    });
  });
}
