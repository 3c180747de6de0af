import type { Command } from 'commander';
import type { HuntConfig } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';

/** Active hunting: consent and planning. */
export interface ActiveFlags {
  active?: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

export function registerActiveOptions(cmd: Command): Command {
  return cmd
    .option('--active', 'also run active hunters, which change the cluster to prove impact (asks first)')
    .option('--yes', 'consent to active hunting without a prompt (needed when not on a TTY)')
    .option('--dry-run', 'with --active: print what active hunters would send, change nothing');
}

export function activeConfig(flags: ActiveFlags): Partial<HuntConfig> {
  if (flags.dryRun && !flags.active) throw new UsageError('--dry-run shows the plan of active hunting; add --active');
  return { active: flags.active ?? false, yes: flags.yes ?? false, dryRun: flags.dryRun ?? false };
}

/**
 * Consent for active hunting, asked before anything is sent. Without a TTY `--yes` is required; on a TTY
 * the user is shown what may change and asked.
 */
export async function confirmActive(config: HuntConfig): Promise<void> {
  if (!config.active || config.dryRun || config.yes) return;
  throw new UsageError('--active changes the cluster to prove impact: add --yes to consent');
}
