import type { KfEvent } from '../../core/events.js';
import type { HuntContext } from '../../core/hunter.js';
import type { Asker } from './access.js';
import { ownNamespace } from './credential-namespace.js';

/**
 * ApiAccess these hunters follow up on: what they found themselves. A kubectl proxy's reach is its own
 * hunter's (it lends the proxy user's credentials, and a token presented through it would not be the one
 * the API server sees).
 */
export function followsUp(access: KfEvent<'ApiAccess'>): boolean {
  return access.via !== 'kubectl-proxy';
}

/**
 * The identity behind an ApiAccess, ready to ask again: the Credential's secret when it came through one
 * (bound to that API server), nothing for anonymous callers and the insecure port. Undefined when the
 * Credential is not known (it always is: ApiAccess follows it).
 */
export function askerOf(ctx: HuntContext, access: KfEvent<'ApiAccess'>): Asker | undefined {
  if (access.via !== 'credential') return { identity: access.identity, namespace: 'default' };
  const name = access.credential ?? access.identity;
  const credential = ctx.known(
    'Credential',
    (c) => c.name === name && c.apiServer?.host === access.host && c.apiServer.port === access.port,
  )[0];
  if (!credential) return undefined;
  return { identity: access.identity, credential: credential.secret, namespace: ownNamespace(credential) };
}
