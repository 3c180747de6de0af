import type { Authenticator } from './auth.js';
import type { Attributes, Authorizer } from './rbac.js';
import type { UserInfo } from './users.js';

type ResourceAttributes = {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
};
type NonResourceAttributes = { path?: string; verb?: string };
type ReviewSpec = {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: NonResourceAttributes;
  user?: string;
  groups?: string[];
  uid?: string;
  namespace?: string;
  token?: string;
};

function attributesOf(spec: ReviewSpec): Attributes | undefined {
  const r = spec.resourceAttributes;
  if (r) {
    return {
      verb: r.verb ?? '',
      group: r.group ?? '',
      resource: r.resource ?? '',
      subresource: r.subresource || undefined,
      namespace: r.namespace || undefined,
      name: r.name || undefined,
    };
  }
  const n = spec.nonResourceAttributes;
  return n ? { verb: n.verb ?? '', path: n.path ?? '' } : undefined;
}

export interface ReviewDeps {
  authorizer: Authorizer;
  authenticator: Authenticator;
}

/** Answers a review (authorization.k8s.io / authentication.k8s.io): the status the real server fills in. */
export function review(
  kind: string,
  body: { spec?: ReviewSpec },
  user: UserInfo,
  deps: ReviewDeps,
): Record<string, unknown> | string {
  const spec = body.spec ?? {};
  switch (kind) {
    case 'SelfSubjectAccessReview':
    case 'SubjectAccessReview': {
      const attrs = attributesOf(spec);
      if (!attrs)
        return 'spec.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified';
      const subject =
        kind === 'SubjectAccessReview' ? { name: spec.user ?? '', groups: spec.groups ?? [], uid: spec.uid } : user;
      const allowed = deps.authorizer.allows(subject, attrs);
      return allowed ? { allowed: true, reason: 'RBAC: allowed by the lab' } : { allowed: false };
    }
    case 'SelfSubjectRulesReview': {
      if (!spec.namespace) return 'spec.namespace: Required value: namespace is required';
      const rules = user.groups.includes('system:masters')
        ? [
            { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
            { verbs: ['*'], nonResourceURLs: ['*'] },
          ]
        : deps.authorizer.rulesFor(user, spec.namespace);
      return {
        resourceRules: rules
          .filter((r) => !r.nonResourceURLs?.length)
          .map((r) => ({
            verbs: r.verbs,
            apiGroups: r.apiGroups,
            resources: r.resources,
            ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
          })),
        nonResourceRules: rules
          .filter((r) => r.nonResourceURLs?.length)
          .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
        incomplete: false,
      };
    }
    case 'TokenReview': {
      const who = spec.token ? deps.authenticator.tokenUser(spec.token) : undefined;
      return who
        ? {
            authenticated: true,
            user: { username: who.name, uid: who.uid, groups: who.groups },
            audiences: ['https://kubernetes.default.svc.cluster.local'],
          }
        : { user: {}, error: '[invalid bearer token, service account token could not be validated]' };
    }
    case 'SelfSubjectReview':
      return { userInfo: { username: user.name, uid: user.uid, groups: user.groups, extra: user.extra } };
    default:
      return `${kind} is not a review`;
  }
}
