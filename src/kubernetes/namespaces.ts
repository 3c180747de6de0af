import type { CertSummary } from '../core/events.js';

// Namespaces named outside an API server's namespace list: in a serving certificate's names, in etcd's key
// names. The namespace survey counts each as known (src/hunters/apiserver/namespaces.ts).

/** A namespace name as the API server accepts one: a DNS-1123 label. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function isNamespaceName(name: string): boolean {
  return NAMESPACE.test(name);
}

/**
 * Namespaces a certificate names as a Service's cluster DNS name (`<service>.<namespace>.svc`, with or
 * without the cluster domain, a wildcard service included): serving certificates of webhooks, operators and
 * the API server itself (`kubernetes.default.svc`) carry them.
 */
export function namespacesInCert(cert: Pick<CertSummary, 'sans'>): string[] {
  const out = new Set<string>();
  for (const san of cert.sans) {
    const match = /^dns:(?:\*|[a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.|$)/i.exec(san);
    const ns = match?.[1].toLowerCase();
    if (ns && isNamespaceName(ns)) out.add(ns);
  }
  return [...out];
}

/** How kube-apiserver names the keys of Services and Endpoints: one more level under `services/`. */
const SERVICE_KEYS = new Set(['specs', 'endpoints']);

/**
 * The namespace in one of kube-apiserver's etcd keys: `/registry/<resource>/<namespace>/<name>`,
 * `/registry/<group>/<resource>/<namespace>/<name>` for API groups stored under their name, and the
 * namespace object itself (`/registry/namespaces/<name>`). Cluster-scoped keys (one level fewer) name none.
 */
export function namespaceOfKey(key: string): string | undefined {
  if (!key.startsWith('/registry/')) return undefined;
  let parts = key.slice('/registry/'.length).split('/');
  if (parts[0] === 'namespaces') return parts.length === 2 && isNamespaceName(parts[1]) ? parts[1] : undefined;
  if (parts[0].includes('.')) parts = parts.slice(1);
  if (parts[0] === 'services' && SERVICE_KEYS.has(parts[1])) parts = parts.slice(1);
  return parts.length === 3 && isNamespaceName(parts[1]) ? parts[1] : undefined;
}
