import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { LabIdentity } from './identities.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A kubeconfig for one identity: cluster `lab` at `server`, verified with the lab's CA. */
export function kubeconfigFor(identity: LabIdentity, server: string, ca: string): string {
  const user: Record<string, string> = identity.token
    ? { token: identity.token }
    : { 'client-certificate-data': b64(identity.clientCert ?? ''), 'client-key-data': b64(identity.clientKey ?? '') };
  const context: Record<string, string> = { cluster: 'lab', user: identity.name };
  const namespace = identity.namespace ?? identity.serviceAccount?.namespace;
  if (namespace) context.namespace = namespace;
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'lab', cluster: { server, 'certificate-authority-data': b64(ca) } }],
    users: [{ name: identity.name, user }],
    contexts: [{ name: `${identity.name}@lab`, context }],
    'current-context': `${identity.name}@lab`,
  });
}

export interface PodFiles {
  /** The directory holding token, namespace and ca.crt (the pod's /var/run/secrets/kubernetes.io/serviceaccount). */
  dir: string;
  token: string;
  namespace: string;
  /** What the pod's environment says about the API server, pointing at the lab's control plane. */
  env: { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string };
}

/** Writes a pod's mounted service-account files to `dir`. */
export function writePodFiles(
  dir: string,
  namespace: string,
  token: string,
  ca: string,
  host: string,
  port: number,
): PodFiles {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
  writeFileSync(join(dir, 'namespace'), namespace);
  writeFileSync(join(dir, 'ca.crt'), ca);
  return { dir, token, namespace, env: { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: String(port) } };
}
