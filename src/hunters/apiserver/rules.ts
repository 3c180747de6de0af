import type { CredentialSecret } from '../../core/events.js';
import type { Answer, ApiRequest } from './api.js';

/** RBAC rules as a SelfSubjectRulesReview returns them, and what they mean. */

export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

export interface Rules {
  namespace: string;
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  /** The server could not list every rule (an authorizer that cannot enumerate, a webhook). */
  incomplete: boolean;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export const RULES_REVIEW_PATH = '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews';

/** The SelfSubjectRulesReview that asks what the caller may do in `namespace` (a question, stored nowhere). */
export function rulesReview(namespace: string, credential: CredentialSecret | undefined): ApiRequest {
  return {
    path: RULES_REVIEW_PATH,
    method: 'POST',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
    credential,
  };
}

/** What an answer that is not the review's says, in a few words for a log line. */
export function unanswered(answer: Exclude<Answer, { kind: 'ok' }>): string {
  switch (answer.kind) {
    case 'unauthenticated':
      return 'HTTP 401: the identity is not accepted';
    case 'denied':
      return `HTTP 403: ${answer.message}`;
    case 'absent':
      return 'HTTP 404: the server does not serve rules reviews';
    case 'unusable':
      return answer.why;
  }
}

/** The rules of a SelfSubjectRulesReview answer, or undefined when it has no status. */
export function readRules(namespace: string, body: Record<string, unknown>): Rules | undefined {
  const status = body.status as Record<string, unknown> | undefined;
  if (!status || typeof status !== 'object') return undefined;
  const resourceRules = (Array.isArray(status.resourceRules) ? status.resourceRules : []).map(
    (r: Record<string, unknown>) => ({
      verbs: strings(r?.verbs),
      apiGroups: strings(r?.apiGroups),
      resources: strings(r?.resources),
      ...(Array.isArray(r?.resourceNames) && { resourceNames: strings(r.resourceNames) }),
    }),
  );
  const nonResourceRules = (Array.isArray(status.nonResourceRules) ? status.nonResourceRules : []).map(
    (r: Record<string, unknown>) => ({ verbs: strings(r?.verbs), nonResourceURLs: strings(r?.nonResourceURLs) }),
  );
  return { namespace, resourceRules, nonResourceRules, incomplete: status.incomplete === true };
}

/** What every authenticated identity holds: asking about itself. It says nothing about this identity. */
const SELF_REVIEWS = /^self(subject(access|rules)?)?reviews$/;

/** The resource rules that grant something beyond reviewing oneself. */
export function grantingRules(rules: Rules): ResourceRule[] {
  return rules.resourceRules.filter((r) => r.resources.some((res) => !SELF_REVIEWS.test(res)));
}

/**
 * Verbs that lead to any right, with the resources they act on: granting or binding roles one does not
 * hold, acting as someone else.
 */
const ESCALATING: Record<string, string[]> = {
  escalate: ['roles', 'clusterroles'],
  bind: ['roles', 'clusterroles'],
  impersonate: ['users', 'groups', 'serviceaccounts', 'uids'],
};

/** Why the rules amount to cluster-admin, or undefined: `*` on `*` in `*`, or an escalating verb. */
export function adminEquivalence(rules: Rules): string | undefined {
  for (const r of rules.resourceRules) {
    if (r.resourceNames?.length) continue;
    if (r.verbs.includes('*') && r.resources.includes('*') && r.apiGroups.includes('*')) {
      return `* on * in every API group (rules in namespace ${rules.namespace})`;
    }
    for (const [verb, targets] of Object.entries(ESCALATING)) {
      if (!r.verbs.includes(verb) && !r.verbs.includes('*')) continue;
      const on = r.resources.filter((res) => res === '*' || targets.includes(res));
      if (on.length > 0) return `${verb} on ${on.join(', ')} (rules in namespace ${rules.namespace})`;
    }
  }
  return undefined;
}

/** Whether the rules allow a verb on a resource (the way RBAC matches: exact or `*`). */
export function rulesAllow(
  rules: Rules,
  attrs: { verb: string; group: string; resource: string; subresource?: string },
): boolean {
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const has = (list: string[], value: string) => list.includes('*') || list.includes(value);
  return rules.resourceRules.some(
    (r) =>
      !r.resourceNames?.length &&
      has(r.verbs, attrs.verb) &&
      has(r.apiGroups, attrs.group) &&
      (r.resources.includes(resource) || r.resources.includes('*')),
  );
}

/** A rule in words: `get,list pods, services`, `* * (every API group)`, `create roles (rbac.authorization.k8s.io)`. */
export function describeRule(rule: ResourceRule): string {
  const groups = rule.apiGroups.filter((g) => g !== '').map((g) => (g === '*' ? 'every API group' : g));
  const names = rule.resourceNames?.length ? ` named ${rule.resourceNames.join(',')}` : '';
  const where = groups.length ? ` (${groups.join(', ')})` : '';
  return `${rule.verbs.join(',')} ${rule.resources.join(', ')}${names}${where}`;
}

/** The granting rules in words, at most `max` of them. */
export function describeRules(rules: Rules, max = 8): string {
  const words = grantingRules(rules).map(describeRule);
  if (words.length === 0) return 'nothing beyond reviewing its own access';
  const shown = words.slice(0, max).join('; ');
  return words.length > max ? `${shown}; and ${words.length - max} more rule(s)` : shown;
}
