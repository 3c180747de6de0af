import type { ChangeIdentity } from '../core/changes.js';
import type { CredentialSecret, Scheme } from '../core/events.js';
import type { HuntContext } from '../core/hunter.js';
import { hostPort } from '../net/scope.js';

/** Helpers active hunters share: where a service is, and who to be when talking to it. */

/** `scheme://host:port`, IPv6 in brackets. */
export function baseUrl(scheme: Scheme, host: string, port: number): string {
  return `${scheme}://${hostPort(host, port)}`;
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
