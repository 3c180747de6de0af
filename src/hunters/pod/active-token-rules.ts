import { refusal } from '../../active/send.js';
import { baseUrl } from '../../active/toolkit.js';
import { defineHunter } from '../../core/hunter.js';

interface ResourceRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

interface RulesReview {
  status?: { resourceRules?: ResourceRule[]; incomplete?: boolean };
}

/** Rules every authenticated identity holds (self reviews): they prove nothing about this token. */
const SELF_REVIEWS = /^self(subject(access|rules)?)?reviews$/;

/** A rule in words: `create,get pods, pods/log`; `*` stays `*`. */
function describe(rule: ResourceRule): string {
  const groups = (rule.apiGroups ?? []).filter((g) => g !== '');
  const resources = (rule.resources ?? []).map((r) => (groups.length ? `${r}.${groups.join('|')}` : r));
  const names = rule.resourceNames?.length ? ` named ${rule.resourceNames.join(',')}` : '';
  return `${(rule.verbs ?? []).join(',')} ${resources.join(', ')}${names}`;
}

/** The rules that grant something beyond self reviews. */
export function meaningfulRules(rules: ResourceRule[]): ResourceRule[] {
  return rules.filter((r) => (r.resources ?? []).some((res) => !SELF_REVIEWS.test(res)));
}

/**
 * What the pod's own service-account token may do, asked of the API server with a
 * SelfSubjectRulesReview in the pod's namespace: an authorization question, not a blind write. A token
 * that may do more than review itself is a proof that compromising the pod is compromising that identity.
 */
export const podActiveTokenRules = defineHunter({
  id: 'pod-active-token-rules',
  title: "Lists what the pod's service-account token may do (SelfSubjectRulesReview)",
  mode: 'active',
  on: 'Credential',
  when: (c) => c.source === 'pod' && c.apiServer !== undefined,
  reports: ['KF-POD-101'],
  readOnlyRequests: [
    {
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      why: 'a review answers a question about the caller and is not stored',
    },
  ],
  changes: "asks the API server what the pod's token may do (SelfSubjectRulesReview; creates nothing)",
  async hunt(credential, ctx) {
    const server = credential.apiServer!;
    const namespace = /^pod:([^/]+)\//.exec(credential.name)?.[1] ?? 'default';
    const path = '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews';
    const res = await ctx.net.http({
      url: `${baseUrl(server.scheme, server.host, server.port)}${path}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        spec: { namespace },
      }),
      credential: credential.secret,
    });
    if (res.status !== 201 && res.status !== 200) {
      ctx.log(`SelfSubjectRulesReview as ${credential.name}: ${refusal(res)}`);
      return;
    }
    const review = res.json<RulesReview>();
    const rules = meaningfulRules(review?.status?.resourceRules ?? []);
    if (rules.length === 0) return;
    const words = rules.map(describe);
    const shown = words.slice(0, 8).join('; ');
    ctx.report({
      kb: 'KF-POD-101',
      host: server.host,
      port: server.port,
      path,
      identity: credential.name,
      evidence: `the pod's token (${credential.name}) may in namespace ${namespace}: ${shown}${words.length > 8 ? `; and ${words.length - 8} more rule(s)` : ''}${review?.status?.incomplete ? ' (the review is incomplete)' : ''}`,
      proof: true,
    });
  },
});
