import type { Command } from 'commander';
import type { HuntConfig } from '../../core/config.js';
import { useCveFile } from '../../kb/cve-data.js';

/** CVE matching: the local kubectl, vendor builds, and which CVE data to use. */
export interface CveFlags {
  local?: boolean;
  includePatchedVersions?: boolean;
  cveData?: string;
}

export function registerCveOptions(cmd: Command): Command {
  return cmd
    .option('--local', 'also check the kubectl on the PATH against the CVE data (runs `kubectl version --client`)')
    .option(
      '--include-patched-versions',
      'report CVEs of vendor builds (v1.27.3-eks-…, +k3s1, -gke.N) one by one, as if they had no backported fixes',
    )
    .option('--cve-data <file>', 'use this CVE data instead of the installed one (see `kubeferret cve`)');
}

/** The CVE part of a HuntConfig. `--cve-data` is validated here and selects the data for this process. */
export function cveConfig(flags: CveFlags): Partial<HuntConfig> {
  if (flags.cveData !== undefined) useCveFile(flags.cveData);
  return { local: flags.local ?? false, includePatchedVersions: flags.includePatchedVersions ?? false };
}

/** `--local` checks this machine, so a hunt with it needs no target. */
export function cveNeedsNoTarget(flags: CveFlags): boolean {
  return flags.local === true;
}
