import type { Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { stableUid } from './store.js';
import { legacyClaims, type TokenSigner } from './tokens.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** The secret names a legacy token controller gives: `<account>-token-<5 characters>`. */
export function tokenSecretName(namespace: string, account: string): string {
  const suffix = stableUid(`token/${namespace}/${account}`)
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 5);
  return `${account}-token-${suffix}`;
}

/** A `kubernetes.io/service-account-token` secret for an account, token signed by the lab's key. */
export function tokenSecret(account: ServiceAccount, uid: string, signer: TokenSigner, caCert: string): Secret {
  const namespace = account.metadata!.namespace!;
  const name = account.metadata!.name!;
  const secretName = tokenSecretName(namespace, name);
  const token = signer.sign(legacyClaims({ namespace, name, uid }, secretName));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secretName,
      namespace,
      annotations: { 'kubernetes.io/service-account.name': name, 'kubernetes.io/service-account.uid': uid },
    },
    type: 'kubernetes.io/service-account-token',
    data: { 'ca.crt': b64(caCert), namespace: b64(namespace), token: b64(token) },
  };
}

export interface SecretValues {
  dbPassword: string;
  registryPassword: string;
  bootstrapSecret: string;
  /** team-a's application API key: what the team-a identity can read, in its namespace only. */
  teamApiKey: string;
}

/** The cluster's other secrets: an application's database password, a registry login, a bootstrap token. */
export function plainSecrets(values: SecretValues): Secret[] {
  const registry = JSON.stringify({
    auths: {
      'registry.example.com': {
        username: 'ci',
        password: values.registryPassword,
        auth: b64(`ci:${values.registryPassword}`),
      },
    },
  });
  const tokenId = 'q4w8zt';
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-credentials', namespace: 'default' },
      type: 'Opaque',
      data: { username: b64('app'), password: b64(values.dbPassword) },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'registry-credentials', namespace: 'dev' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': b64(registry) },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app-api-key', namespace: 'team-a' },
      type: 'Opaque',
      data: { 'api-key': b64(values.teamApiKey) },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `bootstrap-token-${tokenId}`, namespace: 'kube-system' },
      type: 'bootstrap.kubernetes.io/token',
      data: {
        'auth-extra-groups': b64('system:bootstrappers:kubeadm:default-node-token'),
        'token-id': b64(tokenId),
        'token-secret': b64(values.bootstrapSecret),
        'usage-bootstrap-authentication': b64('true'),
        'usage-bootstrap-signing': b64('true'),
      },
    },
  ];
}
