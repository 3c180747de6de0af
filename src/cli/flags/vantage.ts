import type { Command } from 'commander';
import type { HuntConfig } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';
import { readUserFile } from '../../core/user-file.js';
import { Identity, VANTAGE_KEY, type VantageSettings } from '../../discovery/vantage/identity.js';
import { kubeconfigIdentities } from '../../discovery/vantage/kubeconfig.js';
import { POD_SECRETS_DIR, podIdentity } from '../../discovery/vantage/pod.js';
import { collect } from '../options.js';

/** Vantage points beyond "remote": inside a pod, or with identities from a kubeconfig or a token. */
export interface VantageFlags {
  pod?: boolean;
  podDir?: string;
  kubeconfig?: string;
  context?: string[];
  token?: string;
  tokenFile?: string;
  discoverNodes?: boolean;
}

export function registerVantageOptions(cmd: Command): Command {
  return cmd
    .option(
      '--pod',
      'hunt from inside a pod: its service-account token, and the API server from KUBERNETES_SERVICE_HOST',
    )
    .option('--pod-dir <dir>', `with --pod: read token, namespace and ca.crt from here (default ${POD_SECRETS_DIR})`)
    .option('--kubeconfig <file>', 'hunt with the identity of a kubeconfig context (its API server joins the scope)')
    .option(
      '--context <name>',
      'with --kubeconfig: the context to use (repeatable; default the current context)',
      collect,
    )
    .option(
      '--token <token>',
      'a bearer token to try on the API servers found (visible to other local users: prefer --token-file)',
    )
    .option('--token-file <file>', 'read a bearer token from a file')
    .option('--discover-nodes', 'list nodes through the API with each identity; scan those inside a --scope range');
}

/** The identities the flags name, loaded and checked; each problem is a one-line UsageError. */
async function identitiesOf(flags: VantageFlags): Promise<Identity[]> {
  const out: Identity[] = [];
  if (flags.pod) out.push(podIdentity(flags.podDir ?? POD_SECRETS_DIR));
  if (flags.kubeconfig) out.push(...(await kubeconfigIdentities(flags.kubeconfig, flags.context ?? [])));
  if (flags.token !== undefined) {
    const token = flags.token.trim();
    if (token === '') throw new UsageError('--token is empty');
    out.push(new Identity('token', 'token', undefined, { token }));
  }
  if (flags.tokenFile) {
    const token = readUserFile(flags.tokenFile, 'token file').trim();
    if (token === '') throw new UsageError(`token file ${flags.tokenFile} is empty`);
    out.push(new Identity(`token-file:${flags.tokenFile}`, 'token', undefined, { token }));
  }
  return out;
}

export async function vantageConfig(flags: VantageFlags): Promise<Partial<HuntConfig>> {
  if (flags.podDir && !flags.pod) throw new UsageError('--pod-dir only applies with --pod');
  if (flags.context?.length && !flags.kubeconfig)
    throw new UsageError('--context names a context of --kubeconfig FILE');
  const identities = await identitiesOf(flags);
  if (flags.discoverNodes && identities.length === 0) {
    throw new UsageError(
      '--discover-nodes lists nodes through the API: give an identity (--pod, --kubeconfig, --token or --token-file)',
    );
  }
  const vantage: VantageSettings = { identities, discoverNodes: flags.discoverNodes ?? false };
  return { extra: { [VANTAGE_KEY]: vantage } };
}

/** True when a vantage point names an API server, so the hunt needs no positional target. */
export function vantageNamesTargets(flags: VantageFlags): boolean {
  return Boolean(flags.pod || flags.kubeconfig);
}
