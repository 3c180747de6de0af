import { parseBounded } from '../../net/json-stream.js';

/** The service account a Kubernetes token names, read from its JWT claims without verifying them. */
export interface TokenSubject {
  namespace?: string;
  serviceAccount?: string;
}

/**
 * Reads the claims of a service-account token. Bound tokens carry `kubernetes.io.serviceaccount.name`,
 * legacy secret-based ones `kubernetes.io/serviceaccount/service-account.name`; both carry
 * `sub: system:serviceaccount:<ns>:<name>`. Anything else gives an empty result, never an error.
 */
export function tokenSubject(token: string): TokenSubject {
  const parts = token.split('.');
  if (parts.length !== 3) return {};
  // Tokens are found on targets too: their claims are parsed depth-bounded, like any answer.
  const claims = parseBounded<Record<string, unknown>>(Buffer.from(parts[1], 'base64url').toString('utf8'));
  if (!claims || typeof claims !== 'object') return {};
  const bound = claims['kubernetes.io'] as { namespace?: unknown; serviceaccount?: { name?: unknown } } | undefined;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const sub = str(claims.sub)?.match(/^system:serviceaccount:([^:]+):([^:]+)$/);
  return {
    namespace: str(bound?.namespace) ?? str(claims['kubernetes.io/serviceaccount/namespace']) ?? sub?.[1],
    serviceAccount:
      str(bound?.serviceaccount?.name) ?? str(claims['kubernetes.io/serviceaccount/service-account.name']) ?? sub?.[2],
  };
}
