import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import { clusterRoleBinding, serviceAccount, user } from './seed-rbac.js';

// A multi-hop escalation, and a decoy that looks alike but does not escalate (attack-path tests):
//
//   anonymous may read the Secrets of `dev` (Role dev/ci-secrets), among them the token of dev/ci-bot;
//   dev/ci-bot may create pods in `ops` (Role ops/ci-deployer); ops/operator is bound to cluster-admin.
//   So: anonymous → token of dev/ci-bot → a pod in ops mounting ops/operator → cluster-admin.
//
//   The decoy: dev/ci-viewer's token is as readable, and it may create pods in `staging`, whose service
//   accounts hold only `view`: no way to cluster-admin.

const RBAC_API = 'rbac.authorization.k8s.io/v1';
const RBAC = 'rbac.authorization.k8s.io';

export const PATH_NAMESPACES = ['ops', 'staging'];

/** Service accounts whose token Secrets the lab creates in every version (`kubernetes.io/service-account-token`). */
export const PATH_TOKEN_ACCOUNTS = ['dev/ci-bot', 'dev/ci-viewer'];

const ACCOUNTS: [string, string][] = [
  ['dev', 'ci-bot'],
  ['dev', 'ci-viewer'],
  ['ops', 'operator'],
  ['staging', 'builder'],
];

export function pathScenarioObjects(): (Namespace | ServiceAccount)[] {
  return [
    ...PATH_NAMESPACES.map((name): Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    ...ACCOUNTS.map(
      ([namespace, name]): ServiceAccount => ({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name, namespace },
      }),
    ),
  ];
}

function role(namespace: string, name: string, resource: string, verbs: string[]): Role {
  return {
    apiVersion: RBAC_API,
    kind: 'Role',
    metadata: { name, namespace },
    rules: [{ apiGroups: [''], resources: [resource], verbs }],
  };
}

function roleBinding(
  namespace: string,
  name: string,
  ref: { kind: string; name: string },
  subjects: RoleBinding['subjects'],
): RoleBinding {
  return {
    apiVersion: RBAC_API,
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: RBAC, ...ref },
    subjects,
  };
}

export function pathScenarioRbac(): (Role | RoleBinding | ClusterRoleBinding)[] {
  return [
    role('dev', 'ci-secrets', 'secrets', ['get', 'list']),
    roleBinding('dev', 'ci-secrets', { kind: 'Role', name: 'ci-secrets' }, [user('system:anonymous')]),
    role('ops', 'ci-deployer', 'pods', ['create', 'get', 'list']),
    roleBinding('ops', 'ci-bot', { kind: 'Role', name: 'ci-deployer' }, [serviceAccount('dev', 'ci-bot')]),
    clusterRoleBinding('ops-operator', 'cluster-admin', [serviceAccount('ops', 'operator')]),
    role('staging', 'ci-deployer', 'pods', ['create', 'get', 'list']),
    roleBinding('staging', 'ci-viewer', { kind: 'Role', name: 'ci-deployer' }, [serviceAccount('dev', 'ci-viewer')]),
    roleBinding('staging', 'view', { kind: 'ClusterRole', name: 'view' }, [
      serviceAccount('staging', 'builder'),
      serviceAccount('staging', 'default'),
    ]),
  ];
}
