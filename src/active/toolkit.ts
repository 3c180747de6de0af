import type { ChangeIdentity } from '../core/changes.js';
import type { CredentialSecret, Scheme } from '../core/events.js';
import type { HuntContext } from '../core/hunter.js';

/** Helpers active hunters share: where a service is, and who to be when talking to it. */

/** `scheme://host:port`, IPv6 in brackets. */
export function baseUrl(scheme: Scheme, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The scheme discovery found on host:port, or `fallback` when no ServiceFound names it. */
export function schemeOf(ctx: HuntContext, host: string, port: number, fallback: Scheme): Scheme {
  return ctx.known('ServiceFound', (s) => s.host === host && s.port === port)[0]?.scheme ?? fallback;
}

/**
 * The identity a finding was made with: a Credential of this run when the finding names one, otherwise
 * anonymous (`anonymousName`). The secret is for the hunter's own reads; changes name the credential only.
 */
export function identityOf(
  ctx: HuntContext,
  named: string | undefined,
  anonymousName = 'anonymous',
): { identity: ChangeIdentity; secret?: CredentialSecret } {
  const credential = named ? ctx.known('Credential', (c) => c.name === named)[0] : undefined;
  if (!credential) return { identity: { name: anonymousName } };
  return { identity: { name: credential.name, credential: credential.name }, secret: credential.secret };
}

/** A short, single-line excerpt of command or server output for evidence. */
export function excerpt(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export const JSON_MERGE_PATCH = 'application/merge-patch+json';

/**
 * The namespace a service-account token belongs to, from its claims (the token is decoded, not verified:
 * this only picks where to try first). Bound tokens carry `kubernetes.io.namespace`, legacy ones
 * `kubernetes.io/serviceaccount/namespace`.
 */
export function tokenNamespace(token: string | undefined): string | undefined {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const bound = (claims['kubernetes.io'] as { namespace?: unknown } | undefined)?.namespace;
    const legacy = claims['kubernetes.io/serviceaccount/namespace'];
    const ns = typeof bound === 'string' ? bound : typeof legacy === 'string' ? legacy : undefined;
    return ns && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) ? ns : undefined;
  } catch {
    return undefined;
  }
}
