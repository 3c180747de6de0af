import type { KfEvent } from '../../core/events.js';
import { sample } from '../evidence.js';
import { type Rules, rulesAllow } from './rules.js';

// What an identity may do in one namespace, read from that namespace's SelfSubjectRulesReview: the checks
// the access survey makes in the identity's own namespace (ApiAccess `can`, same keys), and the namespaced
// rights the escalation graph (src/paths/graph.ts) turns into steps. Published as NamespaceAccess.

const RBAC = 'rbac.authorization.k8s.io';

interface NamespaceCheck {
  key: string;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
}

export const NAMESPACE_CHECKS: readonly NamespaceCheck[] = [
  { key: 'list pods', verb: 'list', group: '', resource: 'pods' },
  { key: 'list secrets', verb: 'list', group: '', resource: 'secrets' },
  { key: 'get secrets', verb: 'get', group: '', resource: 'secrets' },
  { key: 'list roles', verb: 'list', group: RBAC, resource: 'roles' },
  { key: 'create pods', verb: 'create', group: '', resource: 'pods' },
  { key: 'create pods/exec', verb: 'create', group: '', resource: 'pods', subresource: 'exec' },
  { key: 'create roles', verb: 'create', group: RBAC, resource: 'roles' },
  { key: 'create rolebindings', verb: 'create', group: RBAC, resource: 'rolebindings' },
  {
    key: 'create serviceaccounts/token',
    verb: 'create',
    group: '',
    resource: 'serviceaccounts',
    subresource: 'token',
  },
  { key: 'patch deployments', verb: 'patch', group: 'apps', resource: 'deployments' },
  { key: '* *', verb: '*', group: '*', resource: '*' },
];

/** Each check's answer in the namespace the rules are of. */
export function rightsIn(rules: Rules): Record<string, boolean> {
  const can: Record<string, boolean> = {};
  for (const check of NAMESPACE_CHECKS) can[check.key] = rulesAllow(rules, check);
  return can;
}

/**
 * `list secrets, get secrets in dev, tools; create pods in ops`: what the identity may do in the namespaces
 * surveyed, namespaces that allow the same grouped; empty when nothing is allowed anywhere.
 */
export function describeNamespaceRights(accesses: readonly KfEvent<'NamespaceAccess'>[]): string {
  const byRights = new Map<string, string[]>();
  for (const a of accesses) {
    const allowed = NAMESPACE_CHECKS.map((c) => c.key).filter((k) => a.can[k]);
    if (allowed.length === 0) continue;
    const key = allowed.map((k) => (k === '* *' ? '* on *' : k)).join(', ');
    byRights.set(key, [...(byRights.get(key) ?? []), a.namespace]);
  }
  return [...byRights].map(([rights, namespaces]) => `${rights} in ${sample(namespaces.sort(), 6)}`).join('; ');
}
