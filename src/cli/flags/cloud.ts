import { type Command, Option } from 'commander';
import type { HuntConfig } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';
import { normalizeAddress } from '../../net/scope.js';
import type { VantageFlags } from './vantage.js';

/** Cloud instance metadata, asked from the pod vantage only. */
export interface CloudFlags {
  cloud?: boolean;
  cloudMetadataAddress?: string;
}

export function registerCloudOptions(cmd: Command): Command {
  return cmd
    .option(
      '--cloud',
      'with --pod: also ask the cloud instance metadata service (169.254.169.254: AWS, GCP, Azure) what it gives the pod; adds that address to the scope',
    )
    .addOption(
      // For tests and training: a loopback server standing in for the metadata service.
      new Option('--cloud-metadata-address <address[:port]>', 'ask instance metadata here instead').hideHelp(),
    );
}

/** `127.0.0.5`, `127.0.0.5:8080`, `[::1]:8080` → an address literal and a port (80 by default). */
function parseEndpoint(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(text.trim());
  const host = m && normalizeAddress(m[1] ?? m[2]);
  const port = m?.[3] === undefined ? 80 : Number(m[3]);
  if (!host || port < 1 || port > 65535) {
    throw new UsageError(
      `--cloud-metadata-address takes an IP address with an optional port (127.0.0.5:8080), not "${text}"`,
    );
  }
  return { host, port };
}

/** The cloud part of a HuntConfig; --cloud needs the pod vantage (--pod). */
export function cloudConfig(flags: CloudFlags & Pick<VantageFlags, 'pod'>): Partial<HuntConfig> {
  if (flags.cloudMetadataAddress !== undefined && !flags.cloud) {
    throw new UsageError('--cloud-metadata-address only applies with --cloud');
  }
  if (flags.cloud && !flags.pod) {
    throw new UsageError('--cloud asks the instance metadata service from inside a pod: add --pod');
  }
  return {
    cloud: flags.cloud ?? false,
    cloudMetadata: flags.cloudMetadataAddress === undefined ? undefined : parseEndpoint(flags.cloudMetadataAddress),
  };
}
