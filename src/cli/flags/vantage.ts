import type { Command } from 'commander';
import type { HuntConfig } from '../../core/config.js';

/** Vantage points beyond "remote": inside a pod, or with identities from a kubeconfig or a token. */
// biome-ignore lint/complexity/noBannedTypes: filled in by the discovery work
export type VantageFlags = {};

export function registerVantageOptions(cmd: Command): Command {
  return cmd;
}

export function vantageConfig(_flags: VantageFlags): Partial<HuntConfig> {
  return {};
}

/** True when a vantage point names an API server, so the hunt needs no positional target. */
export function vantageNamesTargets(_flags: VantageFlags): boolean {
  return false;
}
