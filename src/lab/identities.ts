import type { UserInfo } from './users.js';

/** The identities the lab hands out, each with one clear set of rights. */
export const IDENTITY_NAMES = ['admin', 'reader', 'nobody', 'deployer', 'kubernetes-admin', 'jane', 'team-a'] as const;
export type IdentityName = (typeof IDENTITY_NAMES)[number];

export interface IdentityDefinition {
  name: IdentityName;
  kind: 'token' | 'client-certificate';
  serviceAccount?: { namespace: string; name: string };
  certificate?: { commonName: string; organizations: string[] };
  /** The namespace its kubeconfig context names, when its credential does not say (a client certificate). */
  namespace?: string;
  /** What RBAC lets it do, in words. */
  can: string;
}

export const IDENTITIES: readonly IdentityDefinition[] = [
  {
    name: 'admin',
    kind: 'token',
    serviceAccount: { namespace: 'kube-system', name: 'lab-admin' },
    can: 'everything: bound to cluster-admin (ClusterRoleBinding lab-admin)',
  },
  {
    name: 'reader',
    kind: 'token',
    serviceAccount: { namespace: 'default', name: 'reader' },
    can: 'get, list and watch namespaces, nodes, pods, services, workloads, HPAs, volumes, events, priority classes and ConfigMaps, get and list RBAC objects, everywhere; no secrets (ClusterRole lab-reader)',
  },
  {
    name: 'nobody',
    kind: 'token',
    serviceAccount: { namespace: 'default', name: 'nobody' },
    can: 'nothing beyond what every authenticated user may (discovery, self reviews): 403 Forbidden elsewhere',
  },
  {
    name: 'deployer',
    kind: 'token',
    serviceAccount: { namespace: 'dev', name: 'deployer' },
    can: 'create, get, list, watch, patch and delete pods, and read pod logs, in namespace dev only (Role dev/pod-deployer)',
  },
  {
    name: 'kubernetes-admin',
    kind: 'client-certificate',
    certificate: { commonName: 'kubernetes-admin', organizations: ['system:masters'] },
    can: "everything: group system:masters (kubeadm's admin.conf identity)",
  },
  {
    name: 'jane',
    kind: 'client-certificate',
    certificate: { commonName: 'jane', organizations: ['developers'] },
    can: "read the namespaced objects everywhere, as Kubernetes' view role (no Secrets, no nodes, no RBAC): group developers is bound to view (ClusterRoleBinding developers-view)",
  },
  {
    name: 'team-a',
    kind: 'client-certificate',
    certificate: { commonName: 'alice', organizations: ['team-a'] },
    namespace: 'team-a',
    can: 'get and list pods and secrets in namespace team-a only (Role team-a/team-a-reader); only its kubeconfig context names that namespace',
  },
];

/** A named identity with its secret material, as the lab issued it. */
export interface LabIdentity {
  name: IdentityName;
  kind: 'token' | 'client-certificate';
  /** The user name the API server sees. */
  user: string;
  groups: string[];
  serviceAccount?: { namespace: string; name: string };
  /** The namespace its kubeconfig context names (a service account's own, or the definition's). */
  namespace?: string;
  /** The secret holding the token (namespace/name), for token identities. */
  secret?: string;
  token?: string;
  clientCert?: string;
  clientKey?: string;
  can: string;
}

export function userOf(identity: LabIdentity): UserInfo {
  return { name: identity.user, groups: identity.groups };
}
