import { randomBytes } from 'node:crypto';
import type { ServiceAccount } from 'kubernetes-types/core/v1.js';
import { IDENTITIES, type IdentityName, type LabIdentity } from './identities.js';
import type { NodeOs } from './options.js';
import type { Authorities } from './pki.js';
import type { ProfileSettings } from './profiles.js';
import { groupVersion, RESOURCES, resourceOfKind, servedResources } from './resources.js';
import { seedDaemonPods } from './seed-daemon-pods.js';
import { opsScenarioObjects } from './seed-ops.js';
import { opsAgentObjects } from './seed-ops-agents.js';
import { dnsScenarioObjects } from './seed-ops-dns.js';
import { schedulingScenarioObjects } from './seed-ops-sched.js';
import { PATH_TOKEN_ACCOUNTS, pathScenarioObjects, pathScenarioRbac } from './seed-paths.js';
import { platformObjects } from './seed-platform.js';
import { rbacObjects } from './seed-rbac.js';
import { seedReplicaPods } from './seed-replica-pods.js';
import { plainSecrets, type SecretValues, tokenSecret, tokenSecretName } from './seed-secrets.js';
import { workloadObjects } from './seed-workloads.js';
import type { KubeObject, Store } from './store.js';
import type { TokenSigner } from './tokens.js';
import type { LabHost } from './topology.js';
import { certificateUser, serviceAccountUser } from './users.js';
import { minorOf } from './version.js';

export interface SeedInput {
  settings: ProfileSettings;
  version: string;
  nodeOs: NodeOs;
  /** Whether to seed a node-local DNS cache (seed-ops-dns.ts). */
  nodeLocalDns?: boolean;
  hosts: LabHost[];
  authorities: Authorities;
  signer: TokenSigner;
  /** When the seeded objects were created: some days before the lab started, like a cluster in use. */
  created: Date;
}

export interface SeedOutput {
  identities: Record<IdentityName, LabIdentity>;
  values: SecretValues;
}

const password = () => randomBytes(12).toString('base64url');

/** Fills the store with the profile's cluster and issues the named identities' credentials. */
export async function seedCluster(store: Store, input: SeedInput): Promise<SeedOutput> {
  const { settings, version, nodeOs, hosts, authorities, signer, created } = input;
  const values: SecretValues = {
    dbPassword: password(),
    registryPassword: password(),
    bootstrapSecret: randomBytes(8).toString('hex'),
    teamApiKey: password(),
  };
  const served = servedResources(minorOf(version));
  /** The resource an object is stored as: its kind under the version this lab serves. */
  const typeOf = (o: { apiVersion?: string; kind?: string }) =>
    served.find((r) => groupVersion(r) === o.apiVersion && r.kind === o.kind) ??
    resourceOfKind(RESOURCES, o.kind ?? '');
  /** The DaemonSets seeded, in order (the first take the room on the nodes when their pods are made). */
  const daemonSets: string[] = [];
  const put = (o: { apiVersion?: string; kind?: string }) => {
    const stored = store.create(typeOf(o), o as unknown as KubeObject, { created });
    if (o.kind === 'DaemonSet') daemonSets.push(`${stored.metadata.namespace}/${stored.metadata.name}`);
    return stored;
  };

  const nodes = hosts.filter((h) => h.role === 'node').map((h, index) => ({ name: h.name, address: h.address, index }));
  const workloads = workloadObjects({
    settings,
    version,
    nodeOs,
    controlPlane: hosts[0].address,
    nodes,
    caCert: authorities.cluster.cert,
    started: created,
    secrets: values,
  });
  workloads.push(...pathScenarioObjects(nodes[0], created));
  const legacyTokens = minorOf(version) < 24;
  const tokenAccounts = new Set([
    ...IDENTITIES.flatMap((i) => (i.serviceAccount ? [`${i.serviceAccount.namespace}/${i.serviceAccount.name}`] : [])),
    ...PATH_TOKEN_ACCOUNTS,
  ]);
  const accounts: ServiceAccount[] = [];
  for (const o of workloads) {
    if (o.kind === 'ServiceAccount') {
      const key = `${o.metadata!.namespace}/${o.metadata!.name}`;
      if (legacyTokens || tokenAccounts.has(key)) {
        accounts.push(o);
        if (legacyTokens) o.secrets = [{ name: tokenSecretName(o.metadata!.namespace!, o.metadata!.name!) }];
      }
    }
  }
  for (const o of workloads.filter((w) => w.kind === 'Namespace')) put(o);
  for (const o of workloads.filter((w) => w.kind !== 'Namespace')) put(o);
  for (const o of opsScenarioObjects(nodes.length)) put(o);
  for (const o of dnsScenarioObjects(nodes.length, input.nodeLocalDns ?? false)) put(o);
  for (const o of opsAgentObjects(nodes, created)) put(o);
  for (const o of schedulingScenarioObjects(nodes[0].name, nodes.length, new Date())) put(o);
  seedDaemonPods(store, daemonSets, nodes, created, minorOf(version));
  for (const o of [...rbacObjects(settings, minorOf(version)), ...pathScenarioRbac()]) put(o);
  const platform = platformObjects({
    workloads: workloads as unknown as KubeObject[],
    nodes,
    controlPlane: hosts[0].address,
    resources: served,
    started: created,
  });
  for (const o of platform) put(o);
  // After the daemon pods, which took their room first: the Deployments' pods go where room is left.
  seedReplicaPods(store, nodes, created, minorOf(version));
  for (const account of accounts) {
    const uid = store.get(
      resourceOfKind(RESOURCES, 'ServiceAccount'),
      account.metadata!.namespace,
      account.metadata!.name!,
    )!.metadata.uid!;
    put(tokenSecret(account, uid, signer, authorities.cluster.cert));
  }
  for (const s of plainSecrets(values)) put(s);

  const secrets = resourceOfKind(RESOURCES, 'Secret');
  const identities = {} as Record<IdentityName, LabIdentity>;
  for (const def of IDENTITIES) {
    if (def.serviceAccount) {
      const { namespace, name } = def.serviceAccount;
      const secretName = tokenSecretName(namespace, name);
      const secret = store.get(secrets, namespace, secretName)!;
      const token = Buffer.from((secret.data as Record<string, string>).token, 'base64').toString('utf8');
      const user = serviceAccountUser(namespace, name);
      identities[def.name] = {
        name: def.name,
        kind: 'token',
        user: user.name,
        groups: user.groups,
        serviceAccount: def.serviceAccount,
        secret: `${namespace}/${secretName}`,
        token,
        can: def.can,
      };
    } else if (def.certificate) {
      const { commonName, organizations } = def.certificate;
      const pair = await authorities.cluster.issue({
        subject: [`CN=${commonName}`, ...organizations.map((o) => `O=${o}`)].join(', '),
        usage: 'client',
      });
      const user = certificateUser(commonName, organizations);
      identities[def.name] = {
        name: def.name,
        kind: 'client-certificate',
        user: user.name,
        groups: user.groups,
        clientCert: pair.cert,
        clientKey: pair.key,
        ...(def.namespace ? { namespace: def.namespace } : {}),
        can: def.can,
      };
    }
  }
  return { identities, values };
}
