import type { Namespace, Pod } from 'kubernetes-types/core/v1.js';
import {
  ENFORCE_LABEL,
  ENFORCE_VERSION_LABEL,
  isPodSecurityLevel,
  isPodSecurityVersion,
} from '../kubernetes/pod-security.js';
import { podSpecWeaknesses, SPEC_KB } from '../kubernetes/pod-spec.js';
import type { NamespaceFact, PodFact } from './graph.js';

// API objects reduced to what the escalation graph needs, the same way for the hunter that reads them and
// for tests that take them from the lab.

const HOST_ACCESS = new Set<string>([SPEC_KB.privileged, SPEC_KB.hostNamespaces, SPEC_KB.hostPath]);

/** The Secrets of its namespace a pod mounts: volumes, projected sources, env and envFrom references. */
export function podSecrets(pod: Pod): string[] {
  const spec = pod.spec;
  const names = new Set<string>();
  for (const v of spec?.volumes ?? []) {
    if (v.secret?.secretName) names.add(v.secret.secretName);
    for (const source of v.projected?.sources ?? []) if (source.secret?.name) names.add(source.secret.name);
  }
  const containers = [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ];
  for (const c of containers) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) names.add(e.secretRef.name);
  }
  return [...names];
}

/**
 * The Kubernetes Dashboard's images: v2 (`kubernetesui/dashboard`) and v1 (`kubernetes-dashboard-amd64`,
 * any registry). v3's `kubernetesui/dashboard-api` acts with each user's own token, not its account's.
 */
const DASHBOARD_IMAGE = /(^|\/)(kubernetesui\/dashboard|kubernetes-dashboard-amd64)(:|@|$)/;

/** Whether a pod runs the Dashboard, which acts with its own service account (a caller skipping the login). */
export const runsDashboard = (pod: Pod) =>
  (pod.spec?.containers ?? []).some((c) => DASHBOARD_IMAGE.test(c.image ?? ''));

/**
 * A pod as the graph sees it; `accountMounts` is each service account's `automountServiceAccountToken`
 * (`namespace/name`), which decides when the pod says nothing. Undefined when the pod has no name.
 */
export function podFact(pod: Pod, accountMounts?: ReadonlyMap<string, boolean | undefined>): PodFact | undefined {
  const namespace = pod.metadata?.namespace;
  const name = pod.metadata?.name;
  if (typeof name !== 'string' || typeof namespace !== 'string') return undefined;
  const serviceAccount = pod.spec?.serviceAccountName ?? 'default';
  // The API server mounts a pod's token unless the pod, or else its service account, says false.
  const tokenMounted =
    pod.spec?.automountServiceAccountToken ?? accountMounts?.get(`${namespace}/${serviceAccount}`) ?? true;
  const secrets = podSecrets(pod);
  return {
    namespace,
    name,
    serviceAccount,
    node: pod.spec?.nodeName,
    hostAccess: podSpecWeaknesses(pod.spec).some((w) => HOST_ACCESS.has(w.kb)),
    tokenMounted,
    ...(secrets.length > 0 && { secrets }),
    ...(runsDashboard(pod) && { dashboard: true }),
  };
}

/**
 * A namespace with the Pod Security level it enforces and the version it is judged at (its
 * `pod-security.kubernetes.io/enforce` and `enforce-version` labels), read as Pod Security Admission reads
 * them: a level that does not parse is `restricted` (it fails closed), a version that does not parse is
 * `latest`, and each says so.
 */
export function namespaceFact(ns: Namespace): NamespaceFact | undefined {
  const name = ns.metadata?.name;
  if (typeof name !== 'string') return undefined;
  const level = ns.metadata?.labels?.[ENFORCE_LABEL];
  const version = ns.metadata?.labels?.[ENFORCE_VERSION_LABEL];
  const notes: string[] = [];
  const fact: NamespaceFact = { name };
  if (typeof level === 'string') {
    fact.podSecurity = isPodSecurityLevel(level) ? level : 'restricted';
    if (!isPodSecurityLevel(level)) notes.push(`enforce ${JSON.stringify(level)} is no level: judged restricted`);
  }
  if (typeof version === 'string' && version !== 'latest') {
    if (isPodSecurityVersion(version)) fact.podSecurityVersion = version;
    else notes.push(`enforce-version ${JSON.stringify(version)} is no version: judged at latest`);
  }
  if (notes.length > 0) fact.labelNote = notes.join('; ');
  return fact;
}
