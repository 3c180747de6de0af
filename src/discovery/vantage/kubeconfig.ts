import { existsSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, resolve, sep } from 'node:path';
import { oneLine, UsageError } from '../../core/errors.js';
import type { CredentialSecret, CredentialTrust } from '../../core/events.js';
import { readUserFile } from '../../core/user-file.js';
import {
  EXEC_API_VERSIONS,
  type ExecClusterInfo,
  type ExecConfig,
  type ExecOptions,
  execCredential,
} from './exec-plugin.js';
import { Identity, parseServer } from './identity.js';

// A kubeconfig is read by clientcmd's rules (k8s.io/client-go/tools/clientcmd): client-node merges KUBECONFIG
// lists differently (a duplicate name is an error there, the last current-context wins) and knows neither
// `tokenFile` nor exec's interactiveMode, so the loading is done here, on the plain YAML.

type Entry = Record<string, unknown>;

/** A named cluster, user or context, with the file that defined it (its relative paths are against it). */
interface Named {
  body: Entry;
  file: string;
}

/** Several kubeconfig files merged: the first file to define a name wins it, whole. */
export interface MergedKubeconfig {
  files: string[];
  clusters: Map<string, Named>;
  users: Map<string, Named>;
  contexts: Map<string, Named>;
  currentContext?: string;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The files kubectl would read: `--kubeconfig FILE` alone when given (it must exist), else the KUBECONFIG
 * list (files that do not exist are skipped, as kubectl skips them); undefined when neither names any.
 */
export function kubeconfigFiles(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string[] | undefined {
  if (explicit) return [explicit];
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (list.length === 0) return undefined;
  const unique = [...new Set(list)];
  const present = unique.filter((f) => existsSync(f));
  if (present.length === 0) throw new UsageError(`KUBECONFIG names ${unique.join(', ')}: none of them exists`);
  return present;
}

function entries(doc: Entry, key: string, file: string): { name: string; body: Entry }[] {
  const list = doc[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new UsageError(`kubeconfig ${file}: "${key}" is not a list`);
  const inner = key.slice(0, -1);
  return list.map((item: unknown, i) => {
    const e = item as Entry | null;
    if (!e || typeof e.name !== 'string' || e.name === '') {
      throw new UsageError(`kubeconfig ${file}: entry ${i + 1} of "${key}" has no name`);
    }
    const body = e[inner] ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new UsageError(`kubeconfig ${file}: ${inner} "${e.name}" is not a mapping`);
    }
    return { name: e.name, body: body as Entry };
  });
}

/** Reads and merges kubeconfig files by kubectl's rules: first to set a name or current-context wins. */
export async function mergeKubeconfigs(files: readonly string[]): Promise<MergedKubeconfig> {
  // yaml is needed only with a kubeconfig.
  // The default export: a bundle's chunk of the CommonJS package has no named exports (dist/ said
  // "parse is not a function" to every --kubeconfig).
  const { parse } = (await import('yaml')).default;
  const merged: MergedKubeconfig = { files: [...files], clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of files) {
    const text = readUserFile(file, 'kubeconfig');
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (err) {
      throw new UsageError(`kubeconfig ${file} is not valid: ${oneLine(err)}`);
    }
    if (doc === null || doc === undefined) continue; // an empty file is an empty config, as for kubectl
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`kubeconfig ${file} is not a mapping`);
    const d = doc as Entry;
    for (const [key, into] of [
      ['clusters', merged.clusters],
      ['users', merged.users],
      ['contexts', merged.contexts],
    ] as const) {
      for (const { name, body } of entries(d, key, file)) if (!into.has(name)) into.set(name, { body, file });
    }
    const current = d['current-context'];
    if (merged.currentContext === undefined && typeof current === 'string' && current !== '') {
      merged.currentContext = current;
    }
  }
  return merged;
}

function str(body: Entry, key: string): string | undefined {
  const v = body[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A path of a kubeconfig, relative to the directory of the file that holds it (clientcmd's rule). */
function pathIn(named: Named, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(resolve(named.file)), path);
}

function fromBase64(data: string): string {
  return Buffer.from(data, 'base64').toString('utf8');
}

/** The cluster's CA and TLS trust, as client-go builds them from a kubeconfig cluster. */
function clusterTrust(what: string, cluster: Named, serverHost: string): { ca?: string; trust: CredentialTrust } {
  const c = cluster.body;
  const insecure = c['insecure-skip-tls-verify'] === true;
  const caData = str(c, 'certificate-authority-data');
  const caFile = str(c, 'certificate-authority');
  if (insecure && (caData || caFile)) {
    // client-go's own validation refuses the pair; kubectl never connects with it.
    throw new UsageError(`${what}: specifying a root certificates file with the insecure flag is not allowed`);
  }
  if (insecure) return { trust: { tls: 'insecure-skip-tls-verify' } };
  const ca = caData
    ? fromBase64(caData)
    : caFile
      ? readUserFile(pathIn(cluster, caFile), `the cluster CA of ${what}`)
      : undefined;
  const serverName = str(c, 'tls-server-name');
  return { ca, trust: { tls: 'verify', serverHost, ...(serverName ? { serverName } : {}) } };
}

function execConfigOf(what: string, user: Named): ExecConfig {
  const e = user.body.exec as Entry;
  const apiVersion = str(e, 'apiVersion');
  if (!apiVersion || !(EXEC_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw new UsageError(
      `${what}: its exec plugin's apiVersion ${apiVersion ?? '(none)'} is not one kubectl runs (${EXEC_API_VERSIONS.join(', ')})`,
    );
  }
  let command = str(e, 'command');
  if (!command) throw new UsageError(`${what}: its exec plugin names no command`);
  // A command with a path separator is a path relative to the kubeconfig; a bare name is looked up on PATH.
  if (command.includes(sep) && !isAbsolute(command)) command = pathIn(user, command);
  const args = Array.isArray(e.args) ? e.args.map(String) : [];
  const env = (Array.isArray(e.env) ? e.env : []).map((v: unknown) => {
    const pair = v as Entry | null;
    if (!pair || typeof pair.name !== 'string')
      throw new UsageError(`${what}: its exec plugin has an env entry without a name`);
    return { name: pair.name, value: typeof pair.value === 'string' ? pair.value : String(pair.value ?? '') };
  });
  return {
    apiVersion,
    command,
    args,
    env,
    interactiveMode: str(e, 'interactiveMode'),
    provideClusterInfo: e.provideClusterInfo === true,
    installHint: str(e, 'installHint'),
  };
}

function clusterInfo(cluster: Named, server: string): ExecClusterInfo {
  const c = cluster.body;
  const caFile = str(c, 'certificate-authority');
  const caData =
    str(c, 'certificate-authority-data') ??
    (caFile ? Buffer.from(readUserFile(pathIn(cluster, caFile), 'the cluster CA')).toString('base64') : undefined);
  const extensions = Array.isArray(c.extensions) ? (c.extensions as Entry[]) : [];
  const config = extensions.find((x) => x?.name === 'client.authentication.k8s.io/exec')?.extension;
  const info: ExecClusterInfo = { server };
  if (str(c, 'tls-server-name')) info['tls-server-name'] = str(c, 'tls-server-name');
  if (c['insecure-skip-tls-verify'] === true) info['insecure-skip-tls-verify'] = true;
  if (caData) info['certificate-authority-data'] = caData;
  if (str(c, 'proxy-url')) info['proxy-url'] = str(c, 'proxy-url');
  if (config !== undefined) info.config = config;
  return info;
}

/** The secret of a kubeconfig user, from each form kubectl accepts; plugins are run here. */
async function userSecret(
  what: string,
  user: Named,
  cluster: Named,
  server: string,
  exec: ExecOptions,
): Promise<CredentialSecret> {
  const u = user.body;
  if (u['auth-provider'] !== undefined) {
    const name = str((u['auth-provider'] ?? {}) as Entry, 'name');
    throw new UsageError(
      `${what}: its user authenticates through the auth-provider plugin${name ? ` "${name}"` : ''}, which kubeferret does not run (kubectl itself dropped the gcp and azure ones in 1.26): use an exec plugin (kubelogin, gke-gcloud-auth-plugin, an OIDC login plugin), a token or a client certificate`,
    );
  }
  if (u.as !== undefined || u['as-groups'] !== undefined || u['as-uid'] !== undefined) {
    throw new UsageError(
      `${what}: its user impersonates another (as/as-groups), which kubeferret does not do: hunting would show the wrong identity's rights`,
    );
  }
  const secret: CredentialSecret =
    u.exec !== undefined
      ? await execCredential(what, execConfigOf(what, user), clusterInfo(cluster, server), exec)
      : {};
  // client-go: a tokenFile's contents take precedence over an inline token.
  const tokenFile = str(u, 'tokenFile');
  if (tokenFile) secret.token = readUserFile(pathIn(user, tokenFile), `the token file of ${what}`).trim();
  else if (str(u, 'token')) secret.token = str(u, 'token')!.trim();
  const certData = str(u, 'client-certificate-data');
  const certFile = str(u, 'client-certificate');
  if (certData) secret.clientCert = fromBase64(certData);
  else if (certFile) secret.clientCert = readUserFile(pathIn(user, certFile), `the client certificate of ${what}`);
  const keyData = str(u, 'client-key-data');
  const keyFile = str(u, 'client-key');
  if (keyData) secret.clientKey = fromBase64(keyData);
  else if (keyFile) secret.clientKey = readUserFile(pathIn(user, keyFile), `the client key of ${what}`);
  const username = str(u, 'username');
  if (username !== undefined && typeof u.password === 'string') {
    secret.username = username;
    secret.password = u.password;
  }
  if (Boolean(secret.clientCert) !== Boolean(secret.clientKey)) {
    throw new UsageError(`${what}: its user has a client certificate without a key, or a key without a certificate`);
  }
  if (!secret.token && !secret.clientCert && secret.password === undefined) {
    throw new UsageError(`${what}: its user has no token, client certificate, password or exec plugin`);
  }
  return secret;
}

/** The identity of one context of a merged kubeconfig, with its namespace and its cluster's trust. */
async function contextIdentity(
  kc: MergedKubeconfig,
  name: string,
  source: string,
  exec: ExecOptions,
): Promise<Identity> {
  const context = kc.contexts.get(name);
  const known = [...kc.contexts.keys()].join(', ') || 'none';
  if (!context) throw new UsageError(`${source} has no context "${name}" (it has: ${known})`);
  const what = `context "${name}"`;
  const clusterName = str(context.body, 'cluster');
  const cluster = clusterName ? kc.clusters.get(clusterName) : undefined;
  if (!cluster) throw new UsageError(`${what} names cluster "${clusterName ?? ''}", which ${source} does not define`);
  const userName = str(context.body, 'user');
  const user = userName ? kc.users.get(userName) : undefined;
  if (!user) throw new UsageError(`${what} names user "${userName ?? ''}", which ${source} does not define`);
  const serverText = str(cluster.body, 'server');
  if (!serverText) throw new UsageError(`${what}: cluster "${clusterName}" has no server`);
  const server = parseServer(serverText, what);
  const path = new URL(serverText).pathname.replace(/\/+$/, '');
  if (path !== '') {
    // kubectl prefixes every request with it (a Rancher or other proxy's cluster path); the hunters address
    // API servers by host and port, so hunting would ask the proxy's own root instead: refused, not guessed.
    throw new UsageError(
      `${what}: its API server ${serverText} has a path (${path}), which kubeferret does not support: name the API server itself`,
    );
  }
  if (str(cluster.body, 'proxy-url')) {
    throw new UsageError(
      `${what}: cluster "${clusterName}" is reached through proxy-url ${str(cluster.body, 'proxy-url')}, which kubeferret does not support: every connection must go straight to an address in scope`,
    );
  }
  const namespace = str(context.body, 'namespace');
  if (namespace !== undefined && !NAMESPACE.test(namespace)) {
    throw new UsageError(`${what}: its namespace "${namespace}" is not a valid namespace name`);
  }
  const { ca, trust } = clusterTrust(what, cluster, server.host);
  const secret = await userSecret(what, user, cluster, serverText, exec);
  return new Identity(name, 'kubeconfig', server, { ...secret, ca, trust }, namespace);
}

/**
 * One identity per requested context (the current context when none is named) of the kubeconfig files,
 * read as kubectl reads them: merged by its rules, paths relative to each file, each auth form it accepts
 * (token, tokenFile, client certificate data or files, username and password, exec plugins), the cluster's
 * CA, tls-server-name and insecure-skip-tls-verify, and the context's namespace. `source` names the files
 * in errors (`kubeconfig admin.yaml`, `KUBECONFIG`).
 */
export async function kubeconfigIdentities(
  files: readonly string[],
  contexts: readonly string[],
  source = files.length === 1 ? `kubeconfig ${files[0]}` : `KUBECONFIG (${files.join(delimiter)})`,
  exec: ExecOptions = {},
): Promise<Identity[]> {
  const kc = await mergeKubeconfigs(files);
  const wanted = contexts.length > 0 ? [...new Set(contexts)] : [kc.currentContext].filter((c): c is string => !!c);
  if (wanted.length === 0) {
    const known = [...kc.contexts.keys()].join(', ') || 'none';
    throw new UsageError(`${source} has no current-context: name one with --context (it has: ${known})`);
  }
  const out: Identity[] = [];
  // One after the other: exec plugins may ask the user, and each asks once.
  for (const name of wanted) out.push(await contextIdentity(kc, name, source, exec));
  return out;
}
