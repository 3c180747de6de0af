import type { EventPayloads } from '../../core/events.js';
import { tokenSubject } from '../../discovery/vantage/jwt.js';

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The identity's own namespace, asked about by every namespaced check and the rules review: the one its
 * kubeconfig context names (as kubectl uses it), a pod's or a found token's (`pod:dev/deployer`,
 * `found:dev/x-token`), the namespace in a service-account token's claims (read, not verified), else
 * `default`.
 */
export function ownNamespace(
  credential: Pick<EventPayloads['Credential'], 'name' | 'source' | 'secret' | 'namespace'>,
): string {
  if (credential.namespace && NAMESPACE.test(credential.namespace)) return credential.namespace;
  const named =
    credential.source === 'pod' || credential.source === 'found'
      ? /^[a-z]+:([^/]+)\//.exec(credential.name)?.[1]
      : undefined;
  const ns = named ?? (credential.secret.token ? tokenSubject(credential.secret.token).namespace : undefined);
  return ns && NAMESPACE.test(ns) ? ns : 'default';
}
