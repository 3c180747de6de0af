import { delimiter } from 'node:path';
import type { Command } from 'commander';
import type { HuntConfig } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';
import type { CredentialSecret } from '../../core/events.js';
import { readUserFile } from '../../core/user-file.js';
import { Identity, VANTAGE_KEY, type VantageSettings } from '../../discovery/vantage/identity.js';
import { kubeconfigFiles, kubeconfigIdentities } from '../../discovery/vantage/kubeconfig.js';
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
  certificateAuthority?: string;
  discoverNodes?: boolean;
}

/**
 * The kubeconfig files to read, by kubectl's precedence: --kubeconfig, else the KUBECONFIG list. KUBECONFIG
 * is taken when the command names nothing else to hunt (no target, --pod, --token or --token-file) or names
 * a --context: a KUBECONFIG left set in the shell never adds an identity (and its API server) to a hunt
 * the command line describes otherwise.
 */
export function kubeconfigOf(
  flags: VantageFlags,
  targetsNamed: boolean,
  env: NodeJS.ProcessEnv = process.env,
): string[] | undefined {
  if (flags.kubeconfig) return [flags.kubeconfig];
  const otherwiseNamed = targetsNamed || flags.pod || flags.token !== undefined || Boolean(flags.tokenFile);
  if (otherwiseNamed && !flags.context?.length) return undefined;
  return kubeconfigFiles(undefined, env);
}

export function registerVantageOptions(cmd: Command): Command {
  return cmd
    .option(
      '--pod',
      'hunt from inside a pod: its service-account token, and the API server from KUBERNETES_SERVICE_HOST',
    )
    .option('--pod-dir <dir>', `with --pod: read token, namespace and ca.crt from here (default ${POD_SECRETS_DIR})`)
    .option(
      '--kubeconfig <file>',
      'hunt with the identity of a kubeconfig context (its API server joins the scope); default: the KUBECONFIG files when no target is named',
    )
    .option(
      '--context <name>',
      'with --kubeconfig or KUBECONFIG: the context to use (repeatable; default the current context)',
      collect,
    )
    .option(
      '--token <token>',
      "a bearer token to try on the API servers found, sent without checking the server's certificate unless --certificate-authority is given (visible to other local users: prefer --token-file)",
    )
    .option('--token-file <file>', 'read a bearer token from a file (sent as --token is)')
    .option(
      '--certificate-authority <file>',
      "with --token or --token-file: the CA the API server's certificate must chain to (without it the token is sent unverified, as the report says)",
    )
    .option('--discover-nodes', 'list nodes through the API with each identity; scan those inside a --scope range');
}

/**
 * A bare token's trust: the --certificate-authority given for it (checked against the name or address the
 * API server was reached by), else none: it is sent unverified, and the report says so.
 */
function bareTokenSecret(token: string, ca: string | undefined): CredentialSecret {
  return ca ? { token, ca, trust: { tls: 'verify' } } : { token, trust: { tls: 'unverified' } };
}

/** The identities the flags name, loaded and checked; each problem is a one-line UsageError. */
async function identitiesOf(flags: VantageFlags, kubeconfig: string[] | undefined): Promise<Identity[]> {
  const out: Identity[] = [];
  if (flags.pod) out.push(podIdentity(flags.podDir ?? POD_SECRETS_DIR));
  if (kubeconfig) out.push(...(await kubeconfigIdentities(kubeconfig, flags.context ?? [])));
  const ca = flags.certificateAuthority
    ? readUserFile(flags.certificateAuthority, '--certificate-authority file')
    : undefined;
  if (flags.token !== undefined) {
    const token = flags.token.trim();
    if (token === '') throw new UsageError('--token is empty');
    out.push(new Identity('token', 'token', undefined, bareTokenSecret(token, ca)));
  }
  if (flags.tokenFile) {
    const token = readUserFile(flags.tokenFile, 'token file').trim();
    if (token === '') throw new UsageError(`token file ${flags.tokenFile} is empty`);
    out.push(new Identity(`token-file:${flags.tokenFile}`, 'token', undefined, bareTokenSecret(token, ca)));
  }
  return out;
}

/** The vantage settings; `targetsNamed` says whether the command line named targets (see kubeconfigOf). */
export async function vantageConfig(flags: VantageFlags, targetsNamed = false): Promise<Partial<HuntConfig>> {
  if (flags.podDir && !flags.pod) throw new UsageError('--pod-dir only applies with --pod');
  if (flags.certificateAuthority && flags.token === undefined && !flags.tokenFile) {
    throw new UsageError(
      '--certificate-authority applies to --token and --token-file (a kubeconfig names its own CA, a pod has its ca.crt)',
    );
  }
  const kubeconfig = kubeconfigOf(flags, targetsNamed);
  if (flags.context?.length && !kubeconfig) {
    throw new UsageError('--context names a context of --kubeconfig FILE (or of the KUBECONFIG files)');
  }
  const identities = await identitiesOf(flags, kubeconfig);
  if (flags.discoverNodes && identities.length === 0) {
    throw new UsageError(
      '--discover-nodes lists nodes through the API: give an identity (--pod, --kubeconfig, --token or --token-file)',
    );
  }
  const vantage: VantageSettings = { identities, discoverNodes: flags.discoverNodes ?? false };
  return { extra: { [VANTAGE_KEY]: vantage } };
}

/** True when a vantage point names an API server, so the hunt needs no positional target. */
export function vantageNamesTargets(flags: VantageFlags, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(flags.pod || flags.kubeconfig || (env.KUBECONFIG ?? '').split(delimiter).some((f) => f !== ''));
}

/** Whether the command line names targets (positional or --targets-file): then KUBECONFIG needs --context. */
export function targetsNamed(positional: readonly string[], flags: { targetsFile?: string }): boolean {
  return positional.length > 0 || Boolean(flags.targetsFile);
}
