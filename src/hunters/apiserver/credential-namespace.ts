import type { EventPayloads } from '../../core/events.js';

/** The namespace a service-account token names in its claims (read, not verified), or undefined. */
function tokenNamespace(token: string | undefined): string | undefined {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const bound = (claims['kubernetes.io'] as { namespace?: unknown } | undefined)?.namespace;
    const legacy = claims['kubernetes.io/serviceaccount/namespace'];
    return typeof bound === 'string' ? bound : typeof legacy === 'string' ? legacy : undefined;
  } catch {
    return undefined;
  }
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Where an identity most likely has rights when it has none cluster-wide: a pod's or a found token's
 * namespace (`pod:dev/deployer`, `found:dev/x-token`), the namespace in a service-account token's claims,
 * else `default`.
 */
export function ownNamespace(credential: Pick<EventPayloads['Credential'], 'name' | 'source' | 'secret'>): string {
  const named =
    credential.source === 'pod' || credential.source === 'found'
      ? /^[a-z]+:([^/]+)\//.exec(credential.name)?.[1]
      : undefined;
  const ns = named ?? tokenNamespace(credential.secret.token);
  return ns && NAMESPACE.test(ns) ? ns : 'default';
}
