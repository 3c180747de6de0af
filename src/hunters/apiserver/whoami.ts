import { type CredentialSecret, type KfEvent, USER_FACT } from '../../core/events.js';
import type { HuntContext, ReadOnlyRequest } from '../../core/hunter.js';
import { tokenSubject } from '../../discovery/vantage/jwt.js';
import { sleep } from '../../net/retry.js';
import { type ApiTarget, askApi, netFailure } from './api.js';

// Who a credential is, as its API server says (`kubectl auth whoami`): how identities obtained in different
// ways (a kubeconfig user and a token file of the same service account, two contexts with one user) are
// found to be one user, from the server's word and never from names.

/** SelfSubjectReview by the versions servers have served it under, newest first (v1 from 1.28). */
const VERSIONS = ['v1', 'v1beta1', 'v1alpha1'] as const;
const path = (version: string) => `/apis/authentication.k8s.io/${version}/selfsubjectreviews`;

export const WHOAMI_REQUESTS: readonly ReadOnlyRequest[] = VERSIONS.map((version) => ({
  method: 'POST',
  path: path(version),
  why: 'a self review tells the caller who it is and is stored nowhere',
}));

export interface AuthenticatedUser {
  user: string;
  /** How the server said so, in a few words. */
  source: string;
}

/**
 * The user the server authenticates the credential as: SelfSubjectReview under the newest version it
 * serves; where none answers (before 1.27, or not granted) but the server accepted the token (404 or 403,
 * not 401), the service account a token's JWT subject names. Undefined when the server does not say (refused, unreachable, not a
 * service-account token).
 */
export async function authenticatedUser(
  ctx: HuntContext,
  target: ApiTarget,
  credential: CredentialSecret,
): Promise<AuthenticatedUser | undefined> {
  for (const version of VERSIONS) {
    let answer: Awaited<ReturnType<typeof askApi>>;
    try {
      answer = await askApi(ctx, target, {
        path: path(version),
        method: 'POST',
        body: { apiVersion: `authentication.k8s.io/${version}`, kind: 'SelfSubjectReview' },
        credential,
        gap: false,
      });
    } catch (err) {
      ctx.log(`${path(version)}: ${netFailure(err)}`);
      return undefined;
    }
    if (answer.kind === 'ok') {
      const info = (answer.body.status as { userInfo?: { username?: unknown } } | undefined)?.userInfo;
      if (typeof info?.username !== 'string' || info.username === '') return undefined;
      return { user: info.username.slice(0, 256), source: `SelfSubjectReview authentication.k8s.io/${version}` };
    }
    // 404: not served; 403: not granted (authorization comes before routing, and before 1.28 the
    // bootstrap roles do not name the review). Either way the server authenticated the caller.
    if (answer.kind !== 'absent' && answer.kind !== 'denied') return undefined;
  }
  // Authenticated (not a 401) but no review answered: the token's own claims.
  const subject = credential.token ? tokenSubject(credential.token) : {};
  if (!subject.namespace || !subject.serviceAccount) return undefined;
  return {
    user: `system:serviceaccount:${subject.namespace}:${subject.serviceAccount}`,
    source: 'the service-account token it presents (no SelfSubjectReview served)',
  };
}

/** How often and how long a credential waits for the identities given before it to be known. */
const WAIT_STEP_MS = 25;
const WAIT_MAX_MS = 60_000;

/**
 * Publishes the credential's user (empty when the server did not say) and says whether an identity given
 * before it on the same API server is that user: the name of the first such Credential, which is surveyed
 * instead. "Before" is the order the Credentials were published in, so the choice is the same in every
 * run whichever server answer comes back first: it waits (briefly) for those earlier ones to be known.
 */
export async function claimUser(
  ctx: HuntContext,
  credential: KfEvent<'Credential'>,
  target: ApiTarget,
  who: AuthenticatedUser | undefined,
): Promise<string | undefined> {
  ctx.publish(
    'Observation',
    {
      host: target.host,
      port: target.port,
      fact: USER_FACT,
      name: credential.name,
      value: who?.user ?? '',
      source: who?.source ?? 'the server did not say',
    },
    [credential.id],
  );
  if (!who) return undefined;
  const onTarget = (c: KfEvent<'Credential'>) =>
    c.sameAs === undefined && c.apiServer?.host === target.host && c.apiServer.port === target.port;
  const credentials = ctx.known('Credential', onTarget);
  const mine = credentials.findIndex((c) => c.id === credential.id);
  const earlier = credentials.slice(0, Math.max(mine, 0)).filter((c) => c.name !== credential.name);
  const userOf = (name: string) =>
    ctx.known(
      'Observation',
      (o) => o.fact === USER_FACT && o.host === target.host && o.port === target.port && o.name === name,
    )[0]?.value;
  for (let waited = 0; waited < WAIT_MAX_MS && !ctx.signal.aborted; waited += WAIT_STEP_MS) {
    if (earlier.every((c) => userOf(c.name) !== undefined)) break;
    await sleep(WAIT_STEP_MS, ctx.signal).catch(() => undefined);
  }
  return earlier.find((c) => userOf(c.name) === who.user)?.name;
}
