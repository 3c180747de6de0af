import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  Subject,
} from 'kubernetes-types/rbac/v1.js';
import { RESOURCES, type ResourceType, resourceOfKind } from './resources.js';
import type { Store } from './store.js';
import type { UserInfo } from './users.js';

/** What a request asks to do, in RBAC terms. */
export type Attributes =
  | { verb: string; group: string; resource: string; subresource?: string; namespace?: string; name?: string }
  | { verb: string; path: string };

const rt = (kind: string): ResourceType => resourceOfKind(RESOURCES, kind);
const CLUSTER_ROLES = rt('ClusterRole');
const CLUSTER_ROLE_BINDINGS = rt('ClusterRoleBinding');
const ROLES = rt('Role');
const ROLE_BINDINGS = rt('RoleBinding');

function subjectMatches(s: Subject, user: UserInfo): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === user.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount':
      return user.name === `system:serviceaccount:${s.namespace}:${s.name}`;
    default:
      return false;
  }
}

const has = (list: readonly string[] | undefined, value: string) =>
  !!list && (list.includes('*') || list.includes(value));

/** Whether one policy rule allows the request, the way the RBAC authorizer reads rules. */
export function ruleAllows(rule: PolicyRule, attrs: Attributes): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if ('path' in attrs) {
    return (rule.nonResourceURLs ?? []).some(
      (u) => u === '*' || u === attrs.path || (u.endsWith('*') && attrs.path.startsWith(u.slice(0, -1))),
    );
  }
  if (!has(rule.apiGroups, attrs.group)) return false;
  const combined = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const resources = rule.resources ?? [];
  const resourceOk =
    resources.includes('*') ||
    resources.includes(combined) ||
    (attrs.subresource !== undefined && resources.includes(`*/${attrs.subresource}`));
  if (!resourceOk) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (attrs.name !== undefined && names.includes(attrs.name));
}

/** RBAC over the store's roles and bindings, plus the system:masters short cut every real server has. */
export class Authorizer {
  constructor(private readonly store: Store) {}

  private roleRules(kind: string, name: string, namespace?: string): PolicyRule[] {
    const role =
      kind === 'ClusterRole'
        ? (this.store.get(CLUSTER_ROLES, undefined, name) as unknown as ClusterRole | undefined)
        : (this.store.get(ROLES, namespace, name) as unknown as Role | undefined);
    return role?.rules ?? [];
  }

  /** The rules that apply to a user cluster-wide, and in `namespace` when given. */
  rulesFor(user: UserInfo, namespace?: string): PolicyRule[] {
    const rules: PolicyRule[] = [];
    for (const b of this.store.list(CLUSTER_ROLE_BINDINGS) as unknown as ClusterRoleBinding[]) {
      if ((b.subjects ?? []).some((s) => subjectMatches(s, user)))
        rules.push(...this.roleRules('ClusterRole', b.roleRef.name));
    }
    if (namespace) {
      for (const b of this.store.list(ROLE_BINDINGS, namespace) as unknown as RoleBinding[]) {
        if ((b.subjects ?? []).some((s) => subjectMatches(s, user))) {
          rules.push(...this.roleRules(b.roleRef.kind, b.roleRef.name, namespace));
        }
      }
    }
    return rules;
  }

  allows(user: UserInfo, attrs: Attributes): boolean {
    if (user.groups.includes('system:masters')) return true;
    const namespace = 'namespace' in attrs ? attrs.namespace : undefined;
    return this.rulesFor(user, namespace).some((r) => ruleAllows(r, attrs));
  }

  /**
   * The rules of `wanted` that the user does not hold: creating a role (or binding one) with them is an
   * escalation the real server refuses.
   */
  missing(user: UserInfo, wanted: PolicyRule[], namespace?: string): PolicyRule[] {
    if (user.groups.includes('system:masters')) return [];
    const held = this.rulesFor(user, namespace);
    const covered = (attrs: Attributes) => held.some((r) => ruleAllows(r, attrs));
    return wanted.filter((rule) => {
      for (const verb of rule.verbs ?? []) {
        for (const path of rule.nonResourceURLs ?? []) if (!covered({ verb, path })) return true;
        for (const group of rule.apiGroups ?? []) {
          for (const resource of rule.resources ?? []) {
            const [res, sub] = resource.split('/');
            const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
            for (const name of names) {
              if (!covered({ verb, group, resource: res, subresource: sub, namespace, name })) return true;
            }
          }
        }
      }
      return false;
    });
  }
}

/** A rule the way the real server prints it in an escalation error. */
export function describeRule(r: PolicyRule): string {
  const q = (xs?: string[]) => `[${(xs ?? []).map((x) => JSON.stringify(x)).join(' ')}]`;
  if (r.nonResourceURLs?.length) return `{NonResourceURLs:${q(r.nonResourceURLs)}, Verbs:${q(r.verbs)}}`;
  const names = r.resourceNames?.length ? `, ResourceNames:${q(r.resourceNames)}` : '';
  return `{APIGroups:${q(r.apiGroups)}, Resources:${q(r.resources)}${names}, Verbs:${q(r.verbs)}}`;
}
