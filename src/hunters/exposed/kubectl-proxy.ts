import type { Severity } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import type { HttpResponse } from '../../net/network.js';
import { REVIEW_REQUESTS, type Survey } from '../apiserver/access.js';
import { type ApiTarget, askApi, netFailure } from '../apiserver/api.js';
import { describeAccess, grantsAnything, publishAccess, surveyOrWarn } from '../apiserver/report-access.js';
import { said } from '../evidence.js';
import { ServiceProbe } from '../probe.js';

/** kubectl proxy's refusal of a Host it does not accept (its default --accept-hosts is localhost only). */
/** The bare "Forbidden" of a proxy whose --accept-hosts (default: localhost only) refused the Host header. */
export const refusedHost = (res: HttpResponse | undefined) => res?.status === 403 && res.text().trim() === 'Forbidden';

/** `/api` as every API server (and so every proxy in front of one) answers it: the APIVersions list. */
const isApiVersions = (res: HttpResponse | undefined) =>
  res?.status === 200 && res.json<{ kind?: unknown }>()?.kind === 'APIVersions';

const SELF_REVIEW = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

/**
 * Who the proxy acts as (SelfSubjectReview, 1.28+): its user name, and a service account's own namespace,
 * where its namespaced rights most likely are. Undefined when the server does not say.
 */
async function whoAmI(
  ctx: HuntContext,
  target: ApiTarget,
  host: string | undefined,
): Promise<{ user: string; namespace?: string } | undefined> {
  let answer: Awaited<ReturnType<typeof askApi>>;
  try {
    answer = await askApi(ctx, target, {
      path: SELF_REVIEW,
      method: 'POST',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      ...(host !== undefined && { host }),
    });
  } catch (err) {
    ctx.log(`${SELF_REVIEW}: ${netFailure(err)}`);
    return undefined;
  }
  const user =
    answer.kind === 'ok' ? (answer.body.status as { userInfo?: { username?: unknown } })?.userInfo : undefined;
  if (typeof user?.username !== 'string' || user.username === '') return undefined;
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(user.username);
  return { user: user.username.slice(0, 256), ...(sa && { namespace: sa[1] }) };
}

/**
 * The severity a proxy deserves is what its identity can do: cluster-admin (the entry's critical), some
 * rights beyond discovery (high), or nothing but discovery (medium: still an unauthenticated way in).
 */
function severityOf(survey: Survey): Severity | undefined {
  if (survey.can['* *'] === true) return undefined;
  return grantsAnything(survey) ? 'high' : 'medium';
}

/**
 * A `kubectl proxy` reachable from the network: whoever reaches it acts as the user who started it. It is
 * told apart by `/api` answering through it without credentials, then its identity is surveyed as any
 * identity is (the same reads, as Tables without Secret data, and the same self reviews), sending
 * `Host: localhost` when the proxy only accepts that — a header anyone can send. Reports the exposure with
 * what that identity can do, however little, and publishes its access for the report's side-by-side view.
 */
export const kubectlProxyHunter = defineHunter({
  id: 'kubectl-proxy-exposed',
  title: 'kubectl proxy lending its credentials to anyone on the network',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'kubectl-proxy',
  reports: ['KF-PROXY-001'],
  readOnlyRequests: [
    ...REVIEW_REQUESTS,
    { method: 'POST', path: SELF_REVIEW, why: 'a self review answers who the caller is and is stored nowhere' },
  ],
  async hunt(service, ctx) {
    const probe = new ServiceProbe(ctx, service);
    let headers: Record<string, string> = {};
    let api = await probe.get('/api');
    if (refusedHost(api)) {
      headers = { host: 'localhost' };
      api = await probe.get('/api', { headers });
    }
    if (!api || !isApiVersions(api)) return;
    const target = { host: service.host, port: service.port, scheme: service.scheme };
    // Namespaced checks fall back to the proxy user's own namespace when the server says whose it is.
    const who = await whoAmI(ctx, target, headers.host);
    const survey = await surveyOrWarn(ctx, target, {
      identity: 'kubectl-proxy',
      namespace: who?.namespace ?? 'default',
      ...(headers.host !== undefined && { host: headers.host }),
    });
    if (!survey || survey.unauthenticated) return;
    const finding = ctx.report({
      kb: 'KF-PROXY-001',
      host: service.host,
      port: service.port,
      path: '/api',
      evidence:
        `${said(api, 'APIVersions')} without credentials` +
        `${headers.host ? ' (with Host: localhost, which the proxy requires)' : ''}` +
        `${who ? `; the proxy acts as ${who.user}` : ''}; through the proxy: ${describeAccess(survey)}`,
      ...(severityOf(survey) && { severity: severityOf(survey) }),
    });
    publishAccess(ctx, target, { identity: 'kubectl-proxy', via: 'kubectl-proxy' }, survey, [finding.id]);
  },
});
