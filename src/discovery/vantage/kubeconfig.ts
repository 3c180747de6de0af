import { dirname, resolve } from 'node:path';
import { oneLine, UsageError } from '../../core/errors.js';
import type { CredentialSecret } from '../../core/events.js';
import { readUserFile } from '../../core/user-file.js';
import { Identity, parseServer } from './identity.js';

/** The `tokenFile` of a kubeconfig user, which client-node does not read (it knows only `token-file`). */
function tokenFileOf(doc: unknown, user: string): string | undefined {
  const kubeconfig = doc as { users?: Array<{ name?: string; user?: { tokenFile?: unknown } }> } | null;
  const file = kubeconfig?.users?.find((u) => u.name === user)?.user?.tokenFile;
  return typeof file === 'string' && file !== '' ? file : undefined;
}

function fromBase64(data: string): string {
  return Buffer.from(data, 'base64').toString('utf8');
}

/**
 * One identity per requested context of a kubeconfig (the current context when none is named), loaded
 * with @kubernetes/client-node. Every auth form that needs no external program is taken: bearer token
 * (inline or token-file), client certificate (inline data or files) and basic auth. exec and
 * auth-provider plugins are refused, because kubeferret never runs external programs.
 */
export async function kubeconfigIdentities(path: string, contexts: readonly string[]): Promise<Identity[]> {
  const text = readUserFile(path, 'kubeconfig');
  // client-node takes a second to load, and neither it nor yaml is needed without a kubeconfig.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { parse: parseYaml } = await import('yaml');
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (err) {
    throw new UsageError(`kubeconfig ${path} is not valid: ${oneLine(err)}`);
  }
  kc.makePathsAbsolute(dirname(resolve(path)));
  const known = kc.getContexts().map((c) => c.name);
  const wanted = contexts.length > 0 ? [...new Set(contexts)] : [kc.getCurrentContext()].filter(Boolean);
  if (wanted.length === 0) {
    throw new UsageError(
      `kubeconfig ${path} has no current-context: name one with --context (it has: ${known.join(', ') || 'none'})`,
    );
  }
  // Parsed only when a user needs its tokenFile, and then once for every context.
  let doc: { value: unknown } | undefined;
  const parsed = () => {
    doc ??= { value: parseYaml(text) };
    return doc.value;
  };
  return wanted.map((name) => {
    const context = kc.getContextObject(name);
    if (!context) {
      throw new UsageError(`kubeconfig ${path} has no context "${name}" (it has: ${known.join(', ') || 'none'})`);
    }
    const what = `context "${name}"`;
    const cluster = kc.getCluster(context.cluster);
    if (!cluster) throw new UsageError(`${what} names cluster "${context.cluster}", which ${path} does not define`);
    const user = kc.getUser(context.user);
    if (!user) throw new UsageError(`${what} names user "${context.user}", which ${path} does not define`);
    if (user.exec) {
      const command = typeof user.exec.command === 'string' ? ` (${user.exec.command})` : '';
      throw new UsageError(
        `${what}: its user authenticates through an exec plugin${command}, and kubeferret never runs external programs; use a token (--token-file) or a client certificate`,
      );
    }
    if (user.authProvider) {
      const provider = typeof user.authProvider.name === 'string' ? ` (${user.authProvider.name})` : '';
      throw new UsageError(
        `${what}: its user authenticates through an auth-provider plugin${provider}, which kubeferret does not run; use a token (--token-file) or a client certificate`,
      );
    }
    const secret: CredentialSecret = {};
    if (user.token) secret.token = user.token.trim();
    else {
      const tokenFile = tokenFileOf(parsed(), user.name);
      if (tokenFile)
        secret.token = readUserFile(resolve(dirname(resolve(path)), tokenFile), `the token file of ${what}`).trim();
    }
    if (user.certData) secret.clientCert = fromBase64(user.certData);
    else if (user.certFile) secret.clientCert = readUserFile(user.certFile, `the client certificate of ${what}`);
    if (user.keyData) secret.clientKey = fromBase64(user.keyData);
    else if (user.keyFile) secret.clientKey = readUserFile(user.keyFile, `the client key of ${what}`);
    if (user.username !== undefined && user.username !== null && user.password !== undefined) {
      secret.username = user.username;
      secret.password = user.password;
    }
    if (cluster.caData) secret.ca = fromBase64(cluster.caData);
    else if (cluster.caFile) secret.ca = readUserFile(cluster.caFile, `the cluster CA of ${what}`);
    if (Boolean(secret.clientCert) !== Boolean(secret.clientKey)) {
      throw new UsageError(`${what}: its user has a client certificate without a key, or a key without a certificate`);
    }
    if (!secret.token && !secret.clientCert && secret.password === undefined) {
      throw new UsageError(`${what}: its user has no token, client certificate or password`);
    }
    return new Identity(name, 'kubeconfig', parseServer(cluster.server, what), secret);
  });
}
