import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileProblem, UsageError } from '../../core/errors.js';
import { normalizeAddress } from '../../net/scope.js';
import { Identity, parseServer } from './identity.js';
import { tokenSubject } from './jwt.js';

/** Where Kubernetes mounts a pod's service-account token, namespace and CA. */
export const POD_SECRETS_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The identity of the pod kubeferret runs in: its service-account token (the service account named from
 * the token's claims), namespace and CA from `dir`, and the API server from KUBERNETES_SERVICE_HOST and
 * KUBERNETES_SERVICE_PORT. Every missing piece is a one-line UsageError.
 */
export function podIdentity(dir = POD_SECRETS_DIR, env: NodeJS.ProcessEnv = process.env): Identity {
  const tokenPath = join(dir, 'token');
  let token: string;
  try {
    token = readFileSync(tokenPath, 'utf8').trim();
  } catch (err) {
    throw new UsageError(
      `--pod: cannot read the service-account token ${tokenPath} (${fileProblem(err)}): not inside a pod? --pod-dir names another directory`,
    );
  }
  if (token === '') throw new UsageError(`--pod: the service-account token ${tokenPath} is empty`);
  const host = env.KUBERNETES_SERVICE_HOST?.trim();
  if (!host) {
    throw new UsageError('--pod: KUBERNETES_SERVICE_HOST is not set, so the API server is unknown: not inside a pod?');
  }
  const portText = env.KUBERNETES_SERVICE_PORT?.trim();
  if (!portText) {
    throw new UsageError('--pod: KUBERNETES_SERVICE_PORT is not set, so the API server port is unknown');
  }
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new UsageError(`--pod: KUBERNETES_SERVICE_PORT is "${portText}", not a port`);
  }
  const literal = normalizeAddress(host);
  const server = parseServer(`https://${literal?.includes(':') ? `[${literal}]` : host}:${portText}`, '--pod');
  const claims = tokenSubject(token);
  const namespace = readOptional(join(dir, 'namespace'))?.trim() || claims.namespace || 'default';
  const sa = claims.serviceAccount ?? 'unknown';
  return new Identity(`pod:${namespace}/${sa}`, 'pod', server, { token, ca: readOptional(join(dir, 'ca.crt')) });
}
