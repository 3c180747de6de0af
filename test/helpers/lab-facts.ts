import assert from 'node:assert/strict';
import type { Namespace, Pod, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { Lab } from '../../src/lab/index.js';
import { namespaceFact, podFact } from '../../src/paths/facts.js';
import type { PathFacts, StartFact } from '../../src/paths/graph.js';
import type { RbacFacts } from '../../src/paths/rbac.js';

const RBAC = 'rbac.authorization.k8s.io/v1';

/** The escalation graph's facts as the lab holds them (its store's snapshot), with the given starts. */
export async function labFacts(lab: Lab, starts: StartFact[]): Promise<PathFacts> {
  const objects = (await lab.snapshot()).objects as Record<string, unknown[]>;
  const of = <T>(key: string) => {
    assert.ok(objects[key], `the snapshot holds ${key}`);
    return objects[key] as T[];
  };
  const rbac: RbacFacts = {
    roles: of(`${RBAC}/roles`),
    clusterRoles: of(`${RBAC}/clusterroles`),
    roleBindings: of(`${RBAC}/rolebindings`),
    clusterRoleBindings: of(`${RBAC}/clusterrolebindings`),
  };
  const mounts = new Map(
    of<ServiceAccount>('v1/serviceaccounts').map((a) => [
      `${a.metadata!.namespace}/${a.metadata!.name}`,
      a.automountServiceAccountToken,
    ]),
  );
  const tokens = of<Secret>('v1/secrets').filter((s) => s.type === 'kubernetes.io/service-account-token');
  return {
    rbac,
    serviceAccounts: of<ServiceAccount>('v1/serviceaccounts').map((s) => ({
      namespace: s.metadata!.namespace!,
      name: s.metadata!.name!,
    })),
    tokenSecrets: tokens.map((s) => ({
      namespace: s.metadata!.namespace!,
      name: s.metadata!.name!,
      serviceAccount: s.metadata!.annotations!['kubernetes.io/service-account.name'],
    })),
    namespaces: of<Namespace>('v1/namespaces').flatMap((n) => namespaceFact(n) ?? []),
    pods: of<Pod>('v1/pods').flatMap((p) => podFact(p, mounts) ?? []),
    starts,
  };
}
