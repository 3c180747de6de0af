import { X509Certificate } from 'node:crypto';
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  Subject,
} from 'kubernetes-types/rbac/v1.js';

// RBAC as the API server's authorizer evaluates it (plugin/pkg/auth/authorizer/rbac): a ClusterRoleBinding
// grants its ClusterRole's rules everywhere, a RoleBinding its Role's (or ClusterRole's) rules in its own
// namespace. Aggregated ClusterRoles are taken as the server stored them (their aggregated rules included).

/** The RBAC objects read from a cluster (any may be missing: what was not readable is not known). */
export interface RbacFacts {
  roles: Role[];
  clusterRoles: ClusterRole[];
  roleBindings: RoleBinding[];
  clusterRoleBindings: ClusterRoleBinding[];
}

/** Who asks, as the API server sees a caller: a user name and its groups. */
export interface Who {
  user: string;
  groups: string[];
}

/** One rule granted to a subject: in one namespace or, for `*`, in every namespace and cluster-wide. */
export interface Grant {
  namespace: string;
  rule: PolicyRule;
  /** `ClusterRoleBinding lab-admin → ClusterRole cluster-admin`: the facts the grant rests on. */
  via: string;
  /** The role whose rule this is (a Role is in the grant's namespace). */
  role?: { kind: string; name: string };
  /**
   * Granted in every namespace through RoleBindings (namespace `*`), never cluster-wide: namespaced
   * resources only, so no cluster-scoped request (nodes, users, CSRs, ClusterRoleBindings) is allowed.
   */
  namespacedOnly?: boolean;
}

/** A service account as the API server authenticates it. */
export function serviceAccountWho(namespace: string, name: string): Who {
  return {
    user: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

/**
 * A client certificate as the API server's x509 authenticator takes it: the subject's CN is the user, each
 * O a group (plus system:authenticated). Undefined when the PEM holds no readable certificate or no CN.
 */
export function certificateWho(pem: string): Who | undefined {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!block) return undefined;
  let subject: string;
  try {
    subject = new X509Certificate(block).subject;
  } catch {
    return undefined;
  }
  const values = (key: string) =>
    subject
      .split('\n')
      .filter((line) => line.startsWith(`${key}=`))
      .map((line) => line.slice(key.length + 1));
  const [user] = values('CN');
  return user ? { user, groups: [...values('O'), 'system:authenticated'] } : undefined;
}

export const ANONYMOUS: Who = { user: 'system:anonymous', groups: ['system:unauthenticated'] };

function subjectKey(s: Subject, bindingNamespace?: string): string | undefined {
  if (!s || typeof s.name !== 'string') return undefined;
  if (s.kind === 'User') return `user:${s.name}`;
  if (s.kind === 'Group') return `group:${s.name}`;
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace ?? bindingNamespace;
    return ns ? `user:system:serviceaccount:${ns}:${s.name}` : undefined;
  }
  return undefined;
}

const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);

/** Indexes RBAC objects by subject, so that a subject's grants cost only its own bindings. */
export class RbacIndex {
  private readonly bySubject = new Map<string, Grant[]>();

  constructor(facts: RbacFacts) {
    const clusterRoles = new Map(list(facts.clusterRoles).map((r) => [r.metadata?.name ?? '', r]));
    const roles = new Map(list(facts.roles).map((r) => [`${r.metadata?.namespace}/${r.metadata?.name}`, r]));
    const add = (subjects: Subject[] | undefined, grants: Grant[], ns?: string) => {
      if (grants.length === 0) return;
      for (const s of list(subjects)) {
        const key = subjectKey(s, ns);
        if (!key) continue;
        const all = this.bySubject.get(key);
        if (all) all.push(...grants);
        else this.bySubject.set(key, [...grants]);
      }
    };
    for (const b of list(facts.clusterRoleBindings)) {
      const role = clusterRoles.get(b.roleRef?.name);
      const via = `ClusterRoleBinding ${b.metadata?.name} → ClusterRole ${b.roleRef?.name}`;
      const ref = { kind: 'ClusterRole', name: b.roleRef?.name };
      add(
        b.subjects,
        list(role?.rules).map((rule) => ({ namespace: '*', rule, via, role: ref })),
      );
    }
    for (const b of list(facts.roleBindings)) {
      const ns = b.metadata?.namespace ?? '';
      const ref = b.roleRef;
      const role = ref?.kind === 'ClusterRole' ? clusterRoles.get(ref.name) : roles.get(`${ns}/${ref?.name}`);
      const via = `RoleBinding ${ns}/${b.metadata?.name} → ${ref?.kind} ${ref?.name}`;
      add(
        b.subjects,
        list(role?.rules).map((rule) => ({
          namespace: ns,
          rule,
          via,
          role: ref && { kind: ref.kind, name: ref.name },
        })),
        ns,
      );
    }
  }

  /** Every rule granted to the caller, through its user name and each of its groups. */
  grants(who: Who): Grant[] {
    const keys = [`user:${who.user}`, ...who.groups.map((g) => `group:${g}`)];
    return keys.flatMap((k) => this.bySubject.get(k) ?? []);
  }

  /**
   * The users (not service accounts) or groups some binding names: the identities impersonation can
   * reach that hold anything.
   */
  subjects(kind: 'user' | 'group'): string[] {
    const out: string[] = [];
    for (const key of this.bySubject.keys()) {
      if (!key.startsWith(`${kind}:`)) continue;
      const name = key.slice(kind.length + 1);
      if (kind === 'user' && name.startsWith('system:serviceaccount:')) continue;
      out.push(name);
    }
    return out;
  }
}

const has = (values: string[] | undefined, v: string) => list(values).includes('*') || list(values).includes(v);

/** A request's attributes: `resource` may carry a subresource (`pods/exec`); `name` for resourceNames rules. */
export interface Ask {
  verb: string;
  group: string;
  resource: string;
  name?: string;
}

/** Whether a rule allows the request, as RBAC's RuleAllows does. */
export function ruleAllows(rule: PolicyRule, ask: Ask): boolean {
  if (!has(rule.verbs, ask.verb) || !has(rule.apiGroups, ask.group)) return false;
  const sub = ask.resource.split('/')[1];
  const resources = list(rule.resources);
  const resourceOk =
    resources.includes('*') ||
    resources.includes(ask.resource) ||
    (sub !== undefined && resources.includes(`*/${sub}`));
  if (!resourceOk) return false;
  const names = list(rule.resourceNames);
  return names.length === 0 || (ask.name !== undefined && names.includes(ask.name));
}

/** Whether some grant allows the request for at least one name (a rule limited to resourceNames counts). */
export function allowedForSomeName(grants: readonly Grant[], ask: Ask): Grant | undefined {
  return grants.find((g) => ruleAllows({ ...g.rule, resourceNames: [] }, ask));
}

/** The names rules limited to resourceNames allow the request on (`*` when a rule allows any name). */
export function namesAllowed(grants: readonly Grant[], ask: Ask): Map<string, Grant> {
  const out = new Map<string, Grant>();
  for (const g of grants) {
    const names = list(g.rule.resourceNames);
    if (!ruleAllows({ ...g.rule, resourceNames: [] }, ask)) continue;
    for (const name of names.length === 0 ? ['*'] : names) if (!out.has(name)) out.set(name, g);
  }
  return out;
}

/**
 * Where the grants allow a request: `*` (everywhere, cluster-wide included) or the namespaces, each with
 * the grant that allows it. Empty when nowhere.
 */
export function whereAllowed(grants: readonly Grant[], ask: Ask): Map<string, Grant> {
  const out = new Map<string, Grant>();
  for (const g of grants) {
    if (out.has(g.namespace) || !ruleAllows(g.rule, ask)) continue;
    out.set(g.namespace, g);
  }
  const everywhere = out.get('*');
  return everywhere ? new Map([['*', everywhere]]) : out;
}
