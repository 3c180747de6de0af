import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import {
  type Ask,
  allowedForSomeName,
  type Grant,
  namesAllowed,
  type RbacFacts,
  RbacIndex,
  serviceAccountWho,
  type Who,
  whereAllowed,
} from './rbac.js';
import { STEPS, type StepId } from './steps.js';

type EscalationStep = (typeof STEPS)[keyof typeof STEPS];

// Who can become whom. Nodes are the starting identities, service accounts, nodes, `cluster-admin` and
// `every Secret`; edges are the escalation steps of steps.ts, each carrying the facts it rests on. Paths
// are computed, never walked. Rights that reach a whole namespace (create pods in it) go through a hub
// node for the namespace, so that one identity allowed everywhere costs one edge per namespace, not one
// per service account of the cluster.

export interface ServiceAccountFact {
  namespace: string;
  name: string;
  /** What named it, when it was not listed (a pod that runs as it, a binding). */
  namedBy?: string;
}

export interface TokenSecretFact {
  namespace: string;
  name: string;
  /** The service account's name (the Secret's `kubernetes.io/service-account.name` annotation). */
  serviceAccount: string;
}

export interface PodFact {
  namespace: string;
  name: string;
  serviceAccount: string;
  node?: string;
  /** Privileged, host namespaces or a dangerous hostPath: a way onto its node. */
  hostAccess: boolean;
  /** Secrets of its namespace it mounts: secret volumes, projected secret sources, env and envFrom references. */
  secrets?: string[];
  /**
   * Whether its service account's token is mounted (the pod's `automountServiceAccountToken`, else the
   * service account's, else true as the API server defaults it). Undefined: not known, taken as mounted.
   */
  tokenMounted?: boolean;
  /** Its controller as `Kind/name` (`ReplicaSet/web-5d9c`), when one owns it. */
  owner?: string;
  /** It runs the Kubernetes Dashboard (its image), which acts with the pod's service account. */
  dashboard?: boolean;
}

/** An identity the hunt started from (anonymous, a given credential, a found token). */
export interface StartFact {
  name: string;
  /** As the API server sees it, when known: its rights are then read from RBAC. */
  who?: Who;
  /** Answers of the access survey (ApiAccess `can` keys), used where RBAC objects were not readable. */
  can?: Record<string, boolean>;
  /**
   * What it may do in each namespace, from that namespace's rules review (NamespaceAccess `can`, by
   * namespace), used the same way: where its RBAC objects are not known.
   */
  namespaces?: Record<string, Record<string, boolean>>;
  /** Findings that show the survey's answers (KF-API-009, KF-API-010). */
  canFindings?: string[];
  /** Token Secrets the identity was seen able to read, with the finding that showed it (KF-API-008). */
  tokensRead?: { secret: string; serviceAccount: string; findings: string[] }[];
  /** Components that answer it without any credential, from the network (the unauthenticated caller's start). */
  network?: NetworkFact;
}

/** What an unauthenticated network caller was seen reaching, each with the findings that show it. */
export interface NetworkFact {
  /** An etcd whose client API answers without a client certificate and lists keys (KF-ETCD-003). */
  etcd?: { endpoint: string; findings: string[] }[];
  /**
   * A kubelet that runs commands for anonymous callers (KF-KUBELET-005, -006, -008), on node `node`, with
   * the pods its /pods listed (the graph adds the pods it knows on that node).
   */
  kubelets?: { endpoint: string; node: string; pods: PodFact[]; findings: string[] }[];
  /** A Kubernetes Dashboard usable without logging in (KF-DASHBOARD-001): it acts as its pods' account. */
  dashboards?: { endpoint: string; findings: string[] }[];
}

/** A namespace as read, with its Pod Security Admission level (`pod-security.kubernetes.io/enforce`). */
export interface NamespaceFact {
  name: string;
  /**
   * `privileged`, `baseline`, `restricted` as Pod Security Admission evaluates the label (a value that is
   * no level is `restricted`: it fails closed); undefined when the label is not set.
   */
  podSecurity?: string;
  /** The policy version it is judged at (`enforce-version`: `v1.22`), when pinned; undefined: `latest`. */
  podSecurityVersion?: string;
  /** What was made of a label that does not parse (`enforce "strict" is no level: restricted`). */
  labelNote?: string;
}

export interface PathFacts {
  rbac: RbacFacts;
  /** The namespaces with their labels, when they could be read; undefined: not readable. */
  namespaces?: NamespaceFact[];
  /** False when the server predates Pod Security Admission (1.23): its labels then forbid nothing. */
  podSecurityAdmission?: boolean;
  serviceAccounts: ServiceAccountFact[];
  /**
   * True when the service accounts could not be listed: those the pods run as and the RBAC bindings name
   * stand for them (each step says which named it).
   */
  serviceAccountsUnread?: boolean;
  tokenSecrets: TokenSecretFact[];
  pods: PodFact[];
  starts: StartFact[];
}

export type PathGoal = 'cluster-admin' | 'root on a node' | 'every Secret';
export const PATH_GOALS: readonly PathGoal[] = ['cluster-admin', 'root on a node', 'every Secret'];

export interface PathStep {
  action: StepId;
  /** What the step reaches: `service account dev/deployer`, `cluster-admin`, `node node-1`. */
  subject: string;
  /** The right used and the objects that grant it. */
  evidence: string;
  /** Findings the step rests on (ids), when a finding showed it. */
  findings: string[];
}

export interface AttackPath {
  from: string;
  to: PathGoal;
  steps: PathStep[];
}

interface Edge {
  to: string;
  /** Undefined for a hub's free edge to one of its members. */
  step?: EscalationStep;
  evidence: string;
  findings: string[];
}

const ADMIN = 'cluster-admin';
const SECRETS = 'secrets';
const NODES = 'nodes';
const saKey = (ns: string, name: string) => `sa:${ns}/${name}`;
/** A user as a node: a service account's user name is that account. */
const userKey = (name: string) => {
  const account = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
  return account ? saKey(account[1], account[2]) : `user:${name}`;
};
const groupKey = (name: string) => `group:${name}`;
/** A role's rights in one namespace; name `*` for every right there. */
const rightsKey = (ns: string, kind: string, name: string) => `rights:${ns}/${kind}/${name}`;
const MASTERS = 'system:masters';
const IMPERSONATE_USERS = 'impersonate-users';
const IMPERSONATE_GROUPS = 'impersonate-groups';
const CERTIFICATE_SUBJECTS = 'certificate-subjects';
const CERTS = 'certificates.k8s.io';
/** The signer of client certificates the API server trusts (kube-controller-manager signs them). */
const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
const RBAC_GROUP = 'rbac.authorization.k8s.io';
/** Pod Security levels that forbid privileged, host-namespace and hostPath pods. */
const FORBIDS_HOST = new Set(['baseline', 'restricted']);
/**
 * Whether a level refuses a privileged, hostPath `/` pod, at any policy version a namespace may pin
 * (`enforce-version`): baseline's checks of privileged containers, host namespaces and hostPath volumes
 * hold from the first version of the standards (v1.0), so no pinned version lets such a pod in.
 */
const forbidsHostPods = (level: string | undefined) => FORBIDS_HOST.has(level ?? '');
/** Whether a rule's list names the value or `*`. */
const mentions = (values: string[] | undefined, v: string) => !!values && (values.includes('*') || values.includes(v));
const ALL_RIGHTS: PolicyRule = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };

/** What a subject's rights are limited by, beyond RBAC. */
interface Limits {
  /** A kubelet's identity: NodeRestriction admits only mirror pods of its own node and tokens for its pods. */
  node?: boolean;
}
/** Hubs: a namespace's service accounts, its token Secrets, its pods (exec), its host-reaching pods. */
const HUBS = ['ns', 'tokens', 'exec', 'exec-node'] as const;
const hub = (kind: (typeof HUBS)[number], ns: string) => `${kind}:${ns}`;
const nsHub = (ns: string) => hub('ns', ns);

function label(key: string): string {
  if (key === ADMIN) return 'cluster-admin';
  if (key === SECRETS) return 'every Secret';
  if (key === NODES) return 'root on a node';
  if (key.startsWith('sa:')) return `service account ${key.slice(3)}`;
  if (key.startsWith('node:')) return `root on node ${key.slice(5)}`;
  if (key.startsWith('start:')) return key.slice(6);
  if (key.startsWith('pod:')) return `pod ${key.slice(4)}`;
  if (key.startsWith('user:')) return `user ${key.slice(5)}`;
  if (key.startsWith('group:')) return key === groupKey(MASTERS) ? 'cluster-admin' : `group ${key.slice(6)}`;
  if (key.startsWith('kubelet:')) return `system:node:${key.slice(8)} (the kubelet's credentials)`;
  if (key.startsWith('rights:')) {
    const [ns, kind, name] = key.slice(7).split('/');
    return name === '*' ? `every right ${where(ns)}` : `${kind} ${name}'s rights ${where(ns)}`;
  }
  return key;
}

const where = (ns: string) => (ns === '*' ? 'in every namespace' : `in namespace ${ns}`);

export class EscalationGraph {
  private readonly edges = new Map<string, Edge[]>();
  private readonly rbac: RbacIndex;
  private readonly namespaces = new Set<string>();
  /** Identities reached by a step whose rights are still to be turned into edges (built once each). */
  private readonly pending: { key: string; grants: () => Grant[]; limits?: Limits }[] = [];
  private readonly built = new Set<string>();
  private readonly clusterRoles: Map<string, PolicyRule[]>;
  private readonly roles: Map<string, PolicyRule[]>;
  private readonly rolesIn = new Map<string, string[]>();
  private readonly podSecurity?: Map<string, string | undefined>;
  /** How each namespace's level reads in a step (its pinned version, a label that did not parse). */
  private readonly podSecurityText = new Map<string, string>();
  /** Namespaces whose labels alone were found to refuse a privileged pod someone may create there. */
  private readonly refused = new Set<string>();
  /** Pods by node, for the kubelet API of a named node (nodes/proxy by resourceNames); made on first use. */
  private podsOn?: Map<string, PodFact[]>;

  constructor(readonly facts: PathFacts) {
    this.rbac = new RbacIndex(facts.rbac);
    this.clusterRoles = new Map((facts.rbac.clusterRoles ?? []).map((r) => [r.metadata?.name ?? '', r.rules ?? []]));
    this.roles = new Map(
      (facts.rbac.roles ?? []).map((r) => [`${r.metadata?.namespace}/${r.metadata?.name}`, r.rules ?? []]),
    );
    for (const r of facts.rbac.roles ?? []) {
      const ns = r.metadata?.namespace ?? '';
      const names = this.rolesIn.get(ns);
      if (names) names.push(r.metadata?.name ?? '');
      else this.rolesIn.set(ns, [r.metadata?.name ?? '']);
    }
    if (facts.namespaces) {
      this.podSecurity = new Map(facts.namespaces.map((n) => [n.name, n.podSecurity]));
      for (const n of facts.namespaces) {
        const at = n.podSecurityVersion ? ` at ${n.podSecurityVersion}` : '';
        const note = n.labelNote ? ` (${n.labelNote})` : '';
        if (at || note) this.podSecurityText.set(n.name, `${n.podSecurity ?? 'no Pod Security level'}${at}${note}`);
      }
      for (const n of facts.namespaces) this.namespaces.add(n.name);
    }
    const free = (from: string, to: string, evidence = '') => this.edge(from, { to, evidence, findings: [] });
    const accounts = facts.serviceAccountsUnread ? accountsNamed(facts) : facts.serviceAccounts;
    for (const sa of accounts) {
      this.built.add(saKey(sa.namespace, sa.name));
      this.namespaces.add(sa.namespace);
      free(hub('ns', sa.namespace), saKey(sa.namespace, sa.name), sa.namedBy ?? '');
    }
    for (const t of facts.tokenSecrets) {
      this.namespaces.add(t.namespace);
      free(hub('tokens', t.namespace), saKey(t.namespace, t.serviceAccount), `token Secret ${t.namespace}/${t.name}`);
    }
    // A token Secret a pod mounts (a volume, env) is read by whoever gets into the pod or onto its node.
    const tokenOf = new Map(facts.tokenSecrets.map((t) => [`${t.namespace}/${t.name}`, t.serviceAccount]));
    // Pods are many and alike: a cluster of 100,000 runs a few hundred accounts on a few thousand nodes. One
    // edge per way (from, to, step), named after the first pod that gives it, is all a path needs; an edge
    // per pod held half a gigabyte there.
    const ways = new Set<string>();
    const firstWay = (from: string, to: string, step = '') => {
      const key = `${from}\u0000${to}\u0000${step}`;
      if (ways.has(key)) return false;
      ways.add(key);
      return true;
    };
    for (const pod of facts.pods) {
      this.namespaces.add(pod.namespace);
      const at = `${pod.namespace}/${pod.name}`;
      const account = saKey(pod.namespace, pod.serviceAccount);
      if (pod.tokenMounted !== false && firstWay(hub('exec', pod.namespace), account))
        free(hub('exec', pod.namespace), account, `pod ${at}`);
      for (const secret of new Set(pod.secrets ?? [])) {
        const account = tokenOf.get(`${pod.namespace}/${secret}`);
        if (!account) continue;
        const evidence = `pod ${at} mounts Secret ${pod.namespace}/${secret}, the token of ${pod.namespace}/${account}`;
        free(hub('exec', pod.namespace), `pod:${at}`, `pod ${at}`);
        const to = saKey(pod.namespace, account);
        this.edge(`pod:${at}`, { to, step: STEPS.mountedSecret, evidence, findings: [] });
        if (pod.node) {
          this.edge(`node:${pod.node}`, {
            to,
            step: STEPS.nodeSecrets,
            evidence: `${evidence}, on ${pod.node}`,
            findings: [],
          });
        }
      }
      if (pod.hostAccess && pod.node && firstWay(hub('exec-node', pod.namespace), `node:${pod.node}`)) {
        free(hub('exec-node', pod.namespace), `node:${pod.node}`, `pod ${pod.namespace}/${pod.name}`);
      }
    }
    // A namespace's hub that leads nowhere (no service account, token or pod there) is left out: no path
    // goes through it, and 20,000 empty namespaces made 80,000 such edges, a fifth of the graph's garbage.
    for (const kind of HUBS) {
      for (const ns of this.namespaces) if (this.edges.has(hub(kind, ns))) free(hub(kind, '*'), hub(kind, ns));
    }
    const nodes = new Set(facts.pods.map((p) => p.node).filter((n): n is string => !!n));
    for (const node of nodes) free(NODES, `node:${node}`);
    for (const pod of facts.pods) {
      if (!pod.node || pod.tokenMounted === false) continue;
      if (!firstWay(`node:${pod.node}`, saKey(pod.namespace, pod.serviceAccount), STEPS.nodeTokens.id)) continue;
      this.edge(`node:${pod.node}`, {
        to: saKey(pod.namespace, pod.serviceAccount),
        step: STEPS.nodeTokens,
        evidence: `pod ${pod.namespace}/${pod.name} runs on ${pod.node} as ${pod.serviceAccount}`,
        findings: [],
      });
    }
    this.edge(ADMIN, { to: SECRETS, step: STEPS.adminHolds, evidence: 'cluster-admin may list Secrets', findings: [] });
    this.edge(ADMIN, { to: NODES, step: STEPS.adminNode, evidence: 'cluster-admin may create pods', findings: [] });
    // The kubelet's own credentials, on every node: its rights as RBAC binds them. The Node authorizer adds
    // the Secrets and tokens of the node's own pods, which root on the node holds anyway (node-tokens).
    for (const node of nodes) {
      const who = kubeletWho(node);
      const grants = this.rbac.grants(who);
      if (grants.length === 0) continue;
      this.edge(`node:${node}`, {
        to: `kubelet:${node}`,
        step: STEPS.nodeCredentials,
        evidence: `the kubelet's client certificate on ${node} (${who.user}, groups ${who.groups.join(', ')})`,
        findings: [],
      });
      this.reach(`kubelet:${node}`, () => grants, { node: true });
    }
    // Group system:masters bypasses RBAC: impersonating it is cluster-admin.
    free(groupKey(MASTERS), ADMIN, `group ${MASTERS} bypasses authorization`);
    for (const sa of accounts) {
      this.rightsEdges(saKey(sa.namespace, sa.name), this.rbac.grants(serviceAccountWho(sa.namespace, sa.name)));
    }
    for (const start of facts.starts) this.startEdges(start);
    this.drain();
  }

  /** How many edges the graph holds (what it costs in memory grows with them), and their steps by id. */
  edgeCount(): { edges: number; byStep: Record<string, number> } {
    let edges = 0;
    const byStep: Record<string, number> = {};
    for (const list of this.edges.values()) {
      edges += list.length;
      for (const e of list) if (e.step) byStep[e.step.id] = (byStep[e.step.id] ?? 0) + 1;
    }
    return { edges, byStep };
  }

  /** Turns the identities reached so far into edges (each once; an identity reached on the way is queued). */
  private drain() {
    for (let next = this.pending.shift(); next; next = this.pending.shift()) {
      this.rightsEdges(next.key, next.grants(), next.limits);
    }
  }

  /**
   * Makes the starts' edges again from what is known of them now (a start's rights per namespace learned
   * later), so that one graph serves every start of its server: the facts are read and the graph built once
   * per server, reader and run, and each caller adds its starts. The distances already searched are kept
   * when only the starts' own edges changed: no edge points at a start, so no other node's distance moves.
   */
  private setStarts(starts: readonly StartFact[]) {
    const built = this.built.size;
    for (const start of starts) {
      this.dropEdges(`start:${start.name}`);
      this.startEdges(start);
    }
    this.drain();
    if (this.built.size !== built) {
      // A start reached an identity nobody had reached: its edges may shorten other starts' paths only,
      // but the searches are redone rather than reasoned about.
      this.distances.clear();
      return;
    }
    for (const dist of this.distances.values()) {
      for (const start of starts) {
        const key = `start:${start.name}`;
        dist.delete(key);
        let best: number | undefined;
        for (const e of this.edges.get(key) ?? []) {
          const d = dist.get(e.to);
          if (d !== undefined && (best === undefined || d + (e.step ? 1 : 0) < best)) best = d + (e.step ? 1 : 0);
        }
        if (best !== undefined) dist.set(key, best);
      }
    }
  }

  /**
   * A service account a start read the token of (`ns/name`): its rights as edges, once, when the facts did
   * not list it (an identity that may not list service accounts read them). Counted as built, so the
   * searches already made are redone (setStarts).
   */
  private accountNode(account: string) {
    const key = `sa:${account}`;
    if (this.built.has(key)) return;
    const [namespace, name] = account.split('/');
    if (!namespace || !name) return;
    this.built.add(key);
    this.pending.push({ key, grants: () => this.rbac.grants(serviceAccountWho(namespace, name)) });
  }

  /** An identity a step reaches: its rights become edges once, after the identities known from the start. */
  private reach(key: string, grants: () => Grant[], limits?: Limits) {
    if (this.built.has(key) || key.startsWith('sa:')) return;
    this.built.add(key);
    this.pending.push({ key, grants, limits });
  }

  /** A role's rules granted in one namespace, as the RoleBinding an attacker creates would grant them. */
  private rightsIn(ns: string, kind: string, name: string, via: string): string {
    const key = rightsKey(ns, kind, name);
    const rules =
      name === '*'
        ? [ALL_RIGHTS]
        : ((kind === 'ClusterRole' ? this.clusterRoles.get(name) : this.roles.get(`${ns}/${name}`)) ?? []);
    this.reach(key, () =>
      rules.map((rule) => ({
        namespace: ns,
        rule,
        via,
        role: { kind, name },
        ...(ns === '*' && { namespacedOnly: true }),
      })),
    );
    return key;
  }

  /**
   * Whether a privileged, hostPath pod created in `ns` (`*`: any namespace) is admitted, as far as Pod
   * Security Admission's labels were seen; the note says what the answer rests on.
   */
  private hostPodsAdmitted(ns: string): { ns: string; note: string } | undefined {
    if (this.facts.podSecurityAdmission === false) {
      return { ns, note: 'the server predates Pod Security Admission (1.23): no label forbids it' };
    }
    if (!this.podSecurity) return { ns, note: 'namespace labels not readable: assumed to admit it' };
    const admits = (name: string) => {
      const level = this.podSecurity!.get(name);
      if (!forbidsHostPods(level)) return { ns: name, note: `namespace ${name} enforces ${this.enforces(name)}` };
      this.refused.add(name);
      return undefined;
    };
    if (ns === '*') {
      for (const name of this.podSecurity.keys()) {
        const admitted = admits(name);
        if (admitted) return admitted;
      }
      return undefined;
    }
    if (!this.podSecurity.has(ns)) return { ns, note: `namespace ${ns} not read: assumed to admit it` };
    return admits(ns);
  }

  /** A namespace's Pod Security level as a step says it: `restricted`, `baseline at v1.22`. */
  private enforces(ns: string): string {
    return this.podSecurityText.get(ns) ?? this.podSecurity?.get(ns) ?? 'no Pod Security level';
  }

  /**
   * Namespaces where creating a privileged pod was found refused by the labels alone, for someone the
   * graph holds who may create pods there: an exemption of the admission configuration (a user name, a
   * runtime class, the namespace), which the API does not show, would let it in.
   */
  refusedByLabels(): string[] {
    return [...this.refused];
  }

  /**
   * Whether the grants may change the Pod Security labels of a namespace (`*`: of some namespace) whose
   * level forbids a privileged pod: `patch` or `update` on the namespace, which the API server asks of the
   * namespace itself (a request for `namespaces/NAME` is in namespace NAME, so a RoleBinding there may
   * allow it). The evidence, or undefined.
   */
  private relabel(grants: Grant[], ns: string): string | undefined {
    if (!this.podSecurity || this.facts.podSecurityAdmission === false) return undefined;
    const relevant = grants.filter((g) => mentions(g.rule.resources, 'namespaces'));
    if (relevant.length === 0) return undefined;
    for (const name of ns === '*' ? this.podSecurity.keys() : [ns]) {
      if (!forbidsHostPods(this.podSecurity.get(name))) continue;
      for (const verb of ['patch', 'update']) {
        const allowed = whereAllowed(relevant, { verb, group: '', resource: 'namespaces', name });
        const grant = allowed.get('*') ?? allowed.get(name);
        if (grant) {
          return `${verb} namespaces/${name} (${grant.via}); namespace ${name} enforces ${this.enforces(name)}, a label it may change`;
        }
      }
    }
    return undefined;
  }

  private edge(from: string, edge: Edge) {
    const all = this.edges.get(from);
    if (all) all.push(edge);
    else this.edges.set(from, [edge]);
    // Edges made after the searches began (a start's, a hub it built) join the reversed edges at once.
    if (this.reversed) this.reverseEdge(this.reversed, from, edge);
  }

  private reverseEdge(reverse: Map<string, { from: string; cost: number }[]>, from: string, edge: Edge) {
    const entry = { from, cost: edge.step ? 1 : 0 };
    const list = reverse.get(edge.to);
    if (list) list.push(entry);
    else reverse.set(edge.to, [entry]);
  }

  /** Takes a node's edges out, and out of the reversed edges. */
  private dropEdges(from: string) {
    const edges = this.edges.get(from);
    this.edges.delete(from);
    if (!edges || !this.reversed) return;
    for (const e of edges) {
      const list = this.reversed.get(e.to);
      const at = list?.findIndex((x) => x.from === from) ?? -1;
      if (list && at >= 0) list.splice(at, 1);
    }
  }

  /** Calls `add` for each namespace (or `*`) where one of the requests is allowed, with the grant as evidence. */
  private allowed(grants: Grant[], asks: Ask[], add: (ns: string, evidence: string) => void) {
    for (const ask of asks) {
      for (const [ns, grant] of whereAllowed(grants, ask)) {
        add(ns, `${ask.verb} ${ask.resource} ${where(ns)} (${grant.via})`);
      }
    }
  }

  /**
   * The roles the grants may bind in a namespace (`*`: in every namespace, ClusterRoles only), each with the
   * grant: `bind` on any ClusterRole is cluster-admin's rules there (role `*`), which makes every other one
   * moot; on any Role, each Role there.
   */
  private bindable(grants: Grant[], ns: string, kinds: readonly string[] = ['ClusterRole', 'Role']) {
    const out: { kind: string; role: string; resource: string; name: string; grant: Grant }[] = [];
    for (const [resource, kind] of [
      ['clusterroles', 'ClusterRole'],
      ['roles', 'Role'],
    ] as const) {
      if (!kinds.includes(kind)) continue;
      for (const [name, grant] of namesAllowed(grants, { verb: 'bind', group: RBAC_GROUP, resource })) {
        if (name === '*' && kind === 'ClusterRole') return [{ kind, role: '*', resource, name, grant }];
        const roles = name !== '*' ? [name] : (this.rolesIn.get(ns) ?? []);
        for (const role of roles) {
          const known = kind === 'ClusterRole' ? this.clusterRoles.has(role) : this.roles.has(`${ns}/${role}`);
          if (known) out.push({ kind, role, resource, name, grant });
        }
      }
    }
    return out;
  }

  /**
   * Namespaced bind and escalate: creating (or patching) a RoleBinding to a role one may `bind` gives that
   * role's rights in the namespace; `escalate` and update on a Role one is bound to gives every right there.
   * A ClusterRole one may bind in every namespace is the same rules in each: one edge to its rights in
   * every namespace (namespaced resources only, as RoleBindings grant), not one per namespace (20,000 in a
   * large cluster). Roles differ by namespace: an edge per Role, as many as there are Roles.
   */
  private bindEdges(from: string, grants: Grant[]) {
    const writes = new Map<string, { verb: string; grant: Grant }>();
    for (const verb of ['create', 'update', 'patch']) {
      for (const [ns, grant] of whereAllowed(grants, { verb, group: RBAC_GROUP, resource: 'rolebindings' })) {
        if (!writes.has(ns)) writes.set(ns, { verb, grant });
      }
    }
    const bindIn = (ns: string, target: string, among: Grant[], kinds?: readonly string[]) => {
      const write = writes.get(ns)!;
      for (const t of this.bindable(among, target, kinds)) {
        const role = `${t.kind} ${t.role === '*' ? 'cluster-admin' : t.role}`;
        const via =
          target === '*'
            ? `RoleBindings it creates in each namespace → ${role}`
            : `a RoleBinding it creates in ${target} → ${role}`;
        this.edge(from, {
          to: this.rightsIn(target, t.kind, t.role, via),
          step: STEPS.bindRole,
          evidence: `${write.verb} rolebindings ${where(ns)} (${write.grant.via}); bind ${t.resource}/${t.name} ${where(target)} (${t.grant.via})`,
          findings: [],
        });
      }
    };
    for (const ns of writes.keys()) {
      if (ns !== '*') {
        bindIn(
          ns,
          ns,
          grants.filter((g) => g.namespace === '*' || g.namespace === ns),
        );
        continue;
      }
      const everywhere = grants.filter((g) => g.namespace === '*');
      bindIn('*', '*', everywhere, ['ClusterRole']);
      // Binds granted in single namespaces, and Roles (each namespace's own): where they are.
      const targets = new Set([...grants.map((g) => g.namespace).filter((n) => n !== '*'), ...this.rolesIn.keys()]);
      for (const target of targets) {
        bindIn(
          '*',
          target,
          grants.filter((g) => g.namespace === target),
          ['ClusterRole'],
        );
        bindIn(
          '*',
          target,
          grants.filter((g) => g.namespace === '*' || g.namespace === target),
          ['Role'],
        );
      }
    }
    const escalate = whereAllowed(grants, { verb: 'escalate', group: RBAC_GROUP, resource: 'roles' });
    if (escalate.size === 0) return;
    const bound = new Map<string, Grant>();
    for (const g of grants) {
      if (g.role?.kind === 'Role' && g.namespace !== '*' && !bound.has(g.namespace)) bound.set(g.namespace, g);
    }
    for (const [ns, held] of bound) {
      const esc = escalate.get('*') ?? escalate.get(ns);
      if (!esc) continue;
      const name = held.role!.name;
      const here = grants.filter((g) => g.namespace === '*' || g.namespace === ns);
      const edit =
        whereAllowed(here, { verb: 'update', group: RBAC_GROUP, resource: 'roles', name }).values().next().value ??
        whereAllowed(here, { verb: 'patch', group: RBAC_GROUP, resource: 'roles', name }).values().next().value;
      if (!edit) continue;
      this.edge(from, {
        // Shared by whoever may edit a Role of theirs there: the step's evidence names the Role.
        to: this.rightsIn(ns, 'Role', '*', `a Role of ${ns} edited to allow everything`),
        step: STEPS.escalateRole,
        evidence: `escalate roles ${where(ns)} (${esc.via}); update roles/${name} ${where(ns)} (${edit.via}); bound to Role ${ns}/${name} (${held.via})`,
        findings: [],
      });
    }
  }

  /**
   * Impersonation: `impersonate` on users (cluster-wide) acts as a named user, with only its own bindings
   * and system:authenticated; a group needs a user to impersonate too (Impersonate-Group requires
   * Impersonate-User), and group system:masters is cluster-admin. Service accounts are per namespace.
   */
  private impersonateEdges(from: string, grants: Grant[]) {
    if (grants.length === 0) return;
    const ask = (resource: string): Ask => ({ verb: 'impersonate', group: '', resource });
    const cluster = grants.filter((g) => g.namespace === '*' && !g.namespacedOnly);
    const step = (to: string, evidence: string) =>
      this.edge(from, { to, step: STEPS.impersonate, evidence, findings: [] });
    for (const [name, grant] of namesAllowed(cluster, ask('users'))) {
      const evidence = `impersonate users${name === '*' ? '' : `/${name}`} (${grant.via})`;
      if (name === '*') step(this.impersonateHub('user'), evidence);
      else step(this.userNode(name), evidence);
    }
    const someUser = allowedForSomeName(cluster, ask('users')) ?? allowedForSomeName(grants, ask('serviceaccounts'));
    if (!someUser) return;
    for (const [name, grant] of namesAllowed(cluster, ask('groups'))) {
      const evidence = `impersonate groups${name === '*' ? '' : `/${name}`} (${grant.via}), with a user it may impersonate (${someUser.via})`;
      if (name === '*') step(this.impersonateHub('group'), evidence);
      else step(this.groupNode(name), evidence);
    }
  }

  /**
   * A client certificate of one's choosing: creating a CSR for the API server's client signer, approving it
   * (update on the approval subresource, and `approve` on the signer, by name or `kubernetes.io/*`, as the
   * approval admission checks) gets it signed by kube-controller-manager: any user or group a binding names,
   * any service account.
   * Not system:masters: CertificateSubjectRestriction (on by default since 1.19) refuses that CSR. A
   * kubelet holds `create` on CSRs (system:node), never the approval by default; custom bindings may.
   */
  private csrEdges(from: string, grants: Grant[]) {
    const certs = grants.filter((g) => mentions(g.rule.apiGroups, CERTS));
    if (certs.length === 0) return;
    const ask = (verb: string, resource: string, name?: string) =>
      whereAllowed(certs, { verb, group: CERTS, resource, ...(name && { name }) }).get('*');
    const csr = ask('create', 'certificatesigningrequests');
    const approval = ask('update', 'certificatesigningrequests/approval');
    const signer = ask('approve', 'signers', CLIENT_SIGNER) ?? ask('approve', 'signers', 'kubernetes.io/*');
    if (!csr || !approval || !signer) return;
    const evidence = `create certificatesigningrequests (${csr.via}); update certificatesigningrequests/approval (${approval.via}); approve signers/${CLIENT_SIGNER} (${signer.via})`;
    this.edge(from, { to: this.certificateHub(), step: STEPS.csrApprove, evidence, findings: [] });
  }

  /**
   * The kubelet API of one node (nodes/proxy on it by name): commands in each pod that runs there, so its
   * token (when mounted), the token Secrets it mounts, and root on the node through a pod that reaches its
   * host, as exec into those pods gives; built on first use, the pods found once per graph by node.
   */
  private kubeletApi(node: string): string {
    const key = `kubelet-api:${node}`;
    if (this.built.has(key)) return key;
    this.built.add(key);
    if (!this.podsOn) {
      this.podsOn = new Map();
      for (const pod of this.facts.pods) {
        if (!pod.node) continue;
        const list = this.podsOn.get(pod.node);
        if (list) list.push(pod);
        else this.podsOn.set(pod.node, [pod]);
      }
    }
    const tokenOf = new Set(this.facts.tokenSecrets.map((t) => `${t.namespace}/${t.name}`));
    const seen = new Set<string>();
    const free = (to: string, evidence: string) => {
      if (seen.has(to)) return;
      seen.add(to);
      this.edge(key, { to, evidence, findings: [] });
    };
    for (const pod of this.podsOn.get(node) ?? []) {
      const at = `${pod.namespace}/${pod.name}`;
      if (pod.tokenMounted !== false) free(saKey(pod.namespace, pod.serviceAccount), `pod ${at} on ${node}`);
      // The pod's edge to the token it mounts was made with the pods (constructor).
      if ((pod.secrets ?? []).some((s) => tokenOf.has(`${pod.namespace}/${s}`)))
        free(`pod:${at}`, `pod ${at} on ${node}`);
      if (pod.hostAccess) free(`node:${node}`, `pod ${at} on ${node}, which reaches its host`);
    }
    return key;
  }

  /** Every user and group (but system:masters) a binding names, and every service account, as a certificate's subject. */
  private certificateHub(): string {
    if (this.built.has(CERTIFICATE_SUBJECTS)) return CERTIFICATE_SUBJECTS;
    this.built.add(CERTIFICATE_SUBJECTS);
    for (const name of this.rbac.subjects('user')) {
      this.edge(CERTIFICATE_SUBJECTS, { to: this.userNode(name), evidence: `CN=${name}`, findings: [] });
    }
    for (const name of this.rbac.subjects('group')) {
      if (name === MASTERS) continue;
      this.edge(CERTIFICATE_SUBJECTS, { to: this.groupNode(name), evidence: `O=${name}`, findings: [] });
    }
    // A service account's user name as CN is that account to RBAC.
    const evidence = 'CN=system:serviceaccount:NAMESPACE:NAME';
    this.edge(CERTIFICATE_SUBJECTS, { to: hub('ns', '*'), evidence, findings: [] });
    return CERTIFICATE_SUBJECTS;
  }

  /** Anyone (any user, any group): every user or group a binding names, and system:masters; built on first use. */
  private impersonateHub(kind: 'user' | 'group'): string {
    const key = kind === 'user' ? IMPERSONATE_USERS : IMPERSONATE_GROUPS;
    if (this.built.has(key)) return key;
    this.built.add(key);
    const names = kind === 'user' ? this.rbac.subjects('user') : [MASTERS, ...this.rbac.subjects('group')];
    for (const name of names) {
      const to = kind === 'user' ? this.userNode(name) : this.groupNode(name);
      this.edge(key, { to, evidence: `${kind} ${name}`, findings: [] });
    }
    return key;
  }

  private userNode(name: string): string {
    const key = userKey(name);
    this.reach(key, () => this.rbac.grants({ user: name, groups: ['system:authenticated'] }));
    return key;
  }

  private groupNode(name: string): string {
    const key = groupKey(name);
    if (name !== MASTERS) this.reach(key, () => this.rbac.grants({ user: '', groups: [name, 'system:authenticated'] }));
    return key;
  }

  /** The edges one subject's RBAC grants give it. */
  private rightsEdges(from: string, grants: Grant[], limits: Limits = {}) {
    if (grants.length === 0) return;
    const to = (key: string, step: EscalationStep) => (_ns: string, evidence: string) =>
      this.edge(from, { to: key, step, evidence, findings: [] });
    const toNamespace = (step: EscalationStep) => (ns: string, evidence: string) =>
      this.edge(from, { to: nsHub(ns), step, evidence, findings: [] });
    // Cluster-scoped requests: never allowed by what RoleBindings grant, even in every namespace.
    const cluster = grants.filter((g) => !g.namespacedOnly);
    const clusterWide = (ask: Ask, among = grants) =>
      whereAllowed(
        among.filter((g) => !g.namespacedOnly),
        ask,
      ).get('*');
    // RBAC's own objects and impersonation are rare in rules: the checks on them scan only the rules that can.
    const rbacGrants = grants.filter((g) => mentions(g.rule.apiGroups, RBAC_GROUP));
    const impersonating = grants.filter((g) => mentions(g.rule.verbs, 'impersonate'));
    const all = (ask: Ask, step: EscalationStep, key: string) => {
      const g = clusterWide(ask);
      if (g) this.edge(from, { to: key, step, evidence: `${ask.verb} ${ask.resource} (${g.via})`, findings: [] });
      return g;
    };

    const wildcard = all({ verb: '*', group: '*', resource: '*' }, STEPS.wildcard, ADMIN);
    all({ verb: 'list', group: '', resource: 'secrets' }, STEPS.readSecrets, SECRETS);
    for (const [ns, grant] of whereAllowed(grants, { verb: 'get', group: '', resource: 'secrets' })) {
      const evidence = `get secrets ${where(ns)} (${grant.via})`;
      this.edge(from, { to: hub('tokens', ns), step: STEPS.readToken, evidence, findings: [] });
    }
    // NodeRestriction admits from a kubelet only mirror pods of its own node, which mount no service account.
    const createPods = limits.node
      ? new Map<string, Grant>()
      : whereAllowed(grants, { verb: 'create', group: '', resource: 'pods' });
    for (const [ns, grant] of createPods) {
      toNamespace(STEPS.createPodAs)(ns, `create pods ${where(ns)} (${grant.via})`);
    }
    // One namespace whose Pod Security level (as seen) admits a privileged pod is enough to reach a node;
    // else one whose labels the subject may change (the pod is judged by the labels when it is created).
    let onNode = false;
    for (const [ns, grant] of createPods) {
      const admitted = this.hostPodsAdmitted(ns);
      if (!admitted) continue;
      to(NODES, STEPS.createPodNode)(ns, `create pods ${where(ns)} (${grant.via}); ${admitted.note}`);
      onNode = true;
      break;
    }
    // Whoever holds `*` everywhere is cluster-admin, whose own step onto a node says as much.
    for (const [ns, grant] of onNode || wildcard ? [] : createPods) {
      const relabel = this.relabel(grants, ns);
      if (!relabel) continue;
      to(NODES, STEPS.namespaceRelabel)(ns, `create pods ${where(ns)} (${grant.via}); ${relabel}`);
      break;
    }
    for (const verb of ['create', 'get']) {
      for (const [ns, grant] of whereAllowed(grants, { verb, group: '', resource: 'pods/exec' })) {
        const evidence = `${verb} pods/exec ${where(ns)} (${grant.via})`;
        this.edge(from, { to: hub('exec', ns), step: STEPS.exec, evidence, findings: [] });
        this.edge(from, { to: hub('exec-node', ns), step: STEPS.execNode, evidence, findings: [] });
      }
    }
    if (!limits.node) {
      this.allowed(
        grants,
        [{ verb: 'create', group: '', resource: 'serviceaccounts/token' }],
        toNamespace(STEPS.tokenRequest),
      );
    }
    const workloads: Ask[] = ['deployments', 'daemonsets', 'statefulsets'].flatMap((resource) =>
      ['patch', 'update'].map((verb) => ({ verb, group: 'apps', resource })),
    );
    workloads.push(
      ...['jobs', 'cronjobs'].flatMap((resource) =>
        ['patch', 'update', 'create'].map((verb) => ({ verb, group: 'batch', resource })),
      ),
    );
    this.allowed(grants, workloads, (ns, evidence) => {
      toNamespace(STEPS.workloadPatch)(ns, evidence);
      // Pod Security Admission judges the pods a controller creates from the template as any other.
      const admitted = this.hostPodsAdmitted(ns);
      if (admitted) to(NODES, STEPS.workloadPatch)(ns, `${evidence}; ${admitted.note}`);
      const relabel = admitted || wildcard ? undefined : this.relabel(grants, ns);
      if (relabel) to(NODES, STEPS.namespaceRelabel)(ns, `${evidence}; ${relabel}`);
    });
    // Binding a role in a namespace reaches a goal in two steps at best, as cluster-admin reaches every goal:
    // for one who holds `*` everywhere the edges (one per namespace, 20,000 in a large cluster) add no path.
    if (!wildcard) this.bindEdges(from, rbacGrants);
    const binds = clusterWide({ verb: 'create', group: RBAC_GROUP, resource: 'clusterrolebindings' }, rbacGrants);
    const bind = clusterWide(
      { verb: 'bind', group: RBAC_GROUP, resource: 'clusterroles', name: 'cluster-admin' },
      rbacGrants,
    );
    if (binds && bind) {
      this.edge(from, {
        to: ADMIN,
        step: STEPS.bind,
        evidence: `create clusterrolebindings (${binds.via}); bind clusterroles/cluster-admin (${bind.via})`,
        findings: [],
      });
    }
    const escalate = clusterWide({ verb: 'escalate', group: RBAC_GROUP, resource: 'clusterroles' }, rbacGrants);
    const edit =
      clusterWide({ verb: 'update', group: RBAC_GROUP, resource: 'clusterroles' }, rbacGrants) ??
      clusterWide({ verb: 'patch', group: RBAC_GROUP, resource: 'clusterroles' }, rbacGrants);
    if (escalate && edit) {
      this.edge(from, {
        to: ADMIN,
        step: STEPS.escalate,
        evidence: `escalate clusterroles (${escalate.via}); update clusterroles (${edit.via})`,
        findings: [],
      });
    }
    this.impersonateEdges(from, impersonating);
    this.allowed(
      impersonating,
      [{ verb: 'impersonate', group: '', resource: 'serviceaccounts' }],
      toNamespace(STEPS.impersonateSa),
    );
    // The kubelet API runs commands in every pod of every node (websocket exec needs only `get`): each pod's
    // token, and root on a node through a pod that reaches its host, as exec does, never more.
    let everyNode = false;
    for (const verb of ['get', 'create']) {
      const g = clusterWide({ verb, group: '', resource: 'nodes/proxy' });
      if (!g) continue;
      const evidence = `${verb} nodes/proxy (${g.via})`;
      this.edge(from, { to: hub('exec', '*'), step: STEPS.nodesProxy, evidence, findings: [] });
      this.edge(from, { to: hub('exec-node', '*'), step: STEPS.nodesProxy, evidence, findings: [] });
      everyNode = true;
      break;
    }
    // A rule limited to resourceNames: the kubelet API of the nodes it names, so the pods on those only.
    const named = new Map<string, string>();
    for (const verb of everyNode ? [] : ['get', 'create']) {
      const among = cluster.filter((g) => g.namespace === '*' && mentions(g.rule.resources, 'nodes/proxy'));
      for (const [node, g] of namesAllowed(among, { verb, group: '', resource: 'nodes/proxy' })) {
        if (node !== '*' && !named.has(node)) named.set(node, `${verb} nodes/proxy/${node} (${g.via})`);
      }
    }
    for (const [node, evidence] of named) {
      this.edge(from, { to: this.kubeletApi(node), step: STEPS.nodesProxyNamed, evidence, findings: [] });
    }
    this.csrEdges(from, cluster);
    for (const resource of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      if (all({ verb: 'create', group: 'admissionregistration.k8s.io', resource }, STEPS.webhook, SECRETS)) break;
    }
  }

  private startEdges(start: StartFact) {
    const from = `start:${start.name}`;
    if (start.who?.groups.includes(MASTERS)) {
      this.edge(from, {
        to: ADMIN,
        step: STEPS.wildcard,
        evidence: `in group ${MASTERS}, which bypasses authorization`,
        findings: start.canFindings ?? [],
      });
    }
    // A kubelet's survey says yes to create pods (authorization), which NodeRestriction then refuses.
    const kubelet =
      !!start.who && start.who.user.startsWith('system:node:') && start.who.groups.includes('system:nodes');
    if (start.who) this.rightsEdges(from, this.rbac.grants(start.who), { node: kubelet });
    const findings = start.canFindings ?? [];
    if (start.can?.['* *']) {
      this.edge(from, {
        to: ADMIN,
        step: STEPS.wildcard,
        evidence: 'SelfSubjectAccessReview of * * allowed',
        findings,
      });
    }
    // The survey's create pods names no namespace: it reaches a node when some namespace, as read, admits
    // a privileged pod (none read: assumed to).
    const admitted = start.can?.['create pods'] && !kubelet ? this.hostPodsAdmitted('*') : undefined;
    if (admitted) {
      this.edge(from, {
        to: NODES,
        step: STEPS.createPodNode,
        evidence: `SelfSubjectAccessReview of create pods allowed; ${admitted.note}`,
        findings,
      });
    }
    if (!start.who) this.namespaceEdges(from, start.namespaces ?? {});
    this.networkEdges(from, start.network);
    for (const t of start.tokensRead ?? []) {
      this.accountNode(t.serviceAccount);
      this.edge(from, {
        to: `sa:${t.serviceAccount}`,
        step: STEPS.readToken,
        evidence: `read token Secret ${t.secret}`,
        findings: t.findings,
      });
    }
  }

  /**
   * What a caller with no credential reaches from the network: an open etcd holds every Secret (the token
   * Secrets among them are their accounts), a kubelet that runs commands for anyone is its pods' tokens and
   * root on its node through a pod that reaches the host.
   */
  private networkEdges(from: string, network: NetworkFact | undefined) {
    for (const etcd of network?.etcd ?? []) {
      const evidence = `etcd at ${etcd.endpoint} lists keys without credentials`;
      this.edge(from, { to: SECRETS, step: STEPS.etcdSecrets, evidence, findings: etcd.findings });
      this.edge(from, { to: hub('tokens', '*'), step: STEPS.etcdToken, evidence, findings: etcd.findings });
    }
    for (const dashboard of network?.dashboards ?? []) {
      const evidence = `the Dashboard at ${dashboard.endpoint} answers without a login, acting as its service account`;
      this.edge(from, { to: this.dashboardAccounts(), step: STEPS.dashboard, evidence, findings: dashboard.findings });
    }
    for (const kubelet of network?.kubelets ?? []) {
      const to = this.listedKubelet(kubelet.endpoint, kubelet.node, kubelet.pods);
      const evidence = `the kubelet at ${kubelet.endpoint} (node ${kubelet.node}) runs commands for anonymous callers`;
      this.edge(from, { to, step: STEPS.kubeletExec, evidence, findings: kubelet.findings });
    }
  }

  /** The service accounts the Dashboard's pods run as (a hub, built on first use): what its API acts as. */
  private dashboardAccounts(): string {
    const key = 'dashboard-accounts';
    if (this.built.has(key)) return key;
    this.built.add(key);
    const seen = new Set<string>();
    for (const pod of this.facts.pods) {
      const to = saKey(pod.namespace, pod.serviceAccount);
      if (!pod.dashboard || seen.has(to)) continue;
      seen.add(to);
      this.edge(key, { to, evidence: `pod ${pod.namespace}/${pod.name} runs the Dashboard`, findings: [] });
    }
    return key;
  }

  /**
   * A kubelet reached on the network: the pods it listed and those the facts place on its node, each a way
   * to its token (when mounted), the token Secrets it mounts, and its node when it reaches the host. Built
   * once per kubelet and graph (a hub, like the kubelet API reached through nodes/proxy).
   */
  private listedKubelet(endpoint: string, node: string, listed: readonly PodFact[]): string {
    const key = `kubelet-listed:${endpoint}`;
    if (this.built.has(key)) return key;
    this.built.add(key);
    const tokenOf = new Map(this.facts.tokenSecrets.map((t) => [`${t.namespace}/${t.name}`, t.serviceAccount]));
    // The facts' pods first: their edges to the token Secrets they mount were made with the pods.
    const pods = new Map<string, PodFact & { listedOnly?: boolean }>();
    for (const pod of this.facts.pods) if (pod.node === node) pods.set(`${pod.namespace}/${pod.name}`, pod);
    for (const pod of listed) {
      if (!pods.has(`${pod.namespace}/${pod.name}`))
        pods.set(`${pod.namespace}/${pod.name}`, { ...pod, listedOnly: true });
    }
    const seen = new Set<string>();
    const free = (to: string, evidence: string) => {
      if (seen.has(to)) return;
      seen.add(to);
      this.edge(key, { to, evidence, findings: [] });
    };
    for (const [at, pod] of pods) {
      if (pod.tokenMounted !== false) {
        this.accountNode(`${pod.namespace}/${pod.serviceAccount}`);
        free(saKey(pod.namespace, pod.serviceAccount), `pod ${at} on ${node}`);
      }
      for (const secret of new Set(pod.secrets ?? [])) {
        const account = tokenOf.get(`${pod.namespace}/${secret}`);
        if (!account) continue;
        // The pod's own edge to the token it mounts, when only the kubelet listed the pod.
        if (pod.listedOnly) {
          this.edge(`pod:${at}`, {
            to: saKey(pod.namespace, account),
            step: STEPS.mountedSecret,
            evidence: `pod ${at} mounts Secret ${pod.namespace}/${secret}, the token of ${pod.namespace}/${account}`,
            findings: [],
          });
        }
        free(`pod:${at}`, `pod ${at} on ${node}`);
      }
      if (pod.hostAccess) free(`node:${node}`, `pod ${at} on ${node}, which reaches its host`);
    }
    return key;
  }

  /**
   * The edges of a start's rights in single namespaces, as its rules review there showed them: the same
   * steps RBAC grants in a namespace give (rightsEdges), from the review's answers instead of the grants.
   */
  private namespaceEdges(from: string, namespaces: Record<string, Record<string, boolean>>) {
    const review = (ns: string, right: string) => `${right} in namespace ${ns} (SelfSubjectRulesReview)`;
    for (const [ns, can] of Object.entries(namespaces)) {
      const add = (to: string, step: EscalationStep, right: string) =>
        this.edge(from, { to, step, evidence: review(ns, right), findings: [] });
      // A listing of full Secrets holds their data as a get does.
      if (can['get secrets']) add(hub('tokens', ns), STEPS.readToken, 'get secrets');
      else if (can['list secrets']) add(hub('tokens', ns), STEPS.readToken, 'list secrets');
      if (can['create pods']) {
        add(nsHub(ns), STEPS.createPodAs, 'create pods');
        const admitted = this.hostPodsAdmitted(ns);
        if (admitted) {
          this.edge(from, {
            to: NODES,
            step: STEPS.createPodNode,
            evidence: `${review(ns, 'create pods')}; ${admitted.note}`,
            findings: [],
          });
        }
      }
      if (can['create pods/exec']) {
        add(hub('exec', ns), STEPS.exec, 'create pods/exec');
        add(hub('exec-node', ns), STEPS.execNode, 'create pods/exec');
      }
      if (can['create serviceaccounts/token']) add(nsHub(ns), STEPS.tokenRequest, 'create serviceaccounts/token');
      if (can['patch deployments']) {
        add(nsHub(ns), STEPS.workloadPatch, 'patch deployments');
        // Pod Security Admission judges the pods a controller creates from the template as any other.
        const admitted = this.hostPodsAdmitted(ns);
        if (admitted) {
          this.edge(from, {
            to: NODES,
            step: STEPS.workloadPatch,
            evidence: `${review(ns, 'patch deployments')}; ${admitted.note}`,
            findings: [],
          });
        }
      }
    }
  }

  private readonly distances = new Map<PathGoal, Map<string, number>>();
  /** Edges by where they lead, with their cost (hub edges cost nothing): built once for the three goals. */
  private reversed?: Map<string, { from: string; cost: number }[]>;

  private isGoal(goal: PathGoal, key: string): boolean {
    if (goal === 'cluster-admin') return key === ADMIN;
    if (goal === 'every Secret') return key === SECRETS;
    return key === NODES || key.startsWith('node:');
  }

  private reverse(): Map<string, { from: string; cost: number }[]> {
    if (this.reversed) return this.reversed;
    const reverse = new Map<string, { from: string; cost: number }[]>();
    for (const [from, edges] of this.edges) {
      for (const e of edges) this.reverseEdge(reverse, from, e);
    }
    this.reversed = reverse;
    return reverse;
  }

  /**
   * Steps from every node to a goal, by one search backwards from it (0-1 BFS: hub edges cost nothing), so
   * that the paths of every start and the rank of every token cost one search per goal, not one per node.
   * The edges reversed are made once for all goals: at 100,000 pods and 20,000 namespaces, making them for
   * each goal was most of the garbage of computing paths (bench/README.md).
   */
  private distanceTo(goal: PathGoal): Map<string, number> {
    const cached = this.distances.get(goal);
    if (cached) return cached;
    const reverse = this.reverse();
    const dist = new Map<string, number>();
    const queue: string[] = [];
    // Every node is where an edge leaves or arrives.
    for (const keys of [this.edges.keys(), reverse.keys()]) {
      for (const key of keys) {
        if (!this.isGoal(goal, key) || dist.has(key)) continue;
        dist.set(key, 0);
        queue.push(key);
      }
    }
    const front: string[] = [];
    let head = 0;
    while (front.length > 0 || head < queue.length) {
      const at = front.length > 0 ? front.pop()! : queue[head++];
      const d = dist.get(at)!;
      for (const { from, cost } of reverse.get(at) ?? []) {
        if (d + cost >= (dist.get(from) ?? Number.POSITIVE_INFINITY)) continue;
        dist.set(from, d + cost);
        if (cost === 0) front.push(from);
        else queue.push(from);
      }
    }
    this.distances.set(goal, dist);
    return dist;
  }

  /** The shortest path from a node to a goal, following edges down the distances; undefined if none. */
  private pathTo(from: string, goal: PathGoal): PathStep[] | undefined {
    const dist = this.distanceTo(goal);
    const total = dist.get(from);
    if (total === undefined || total === 0) return undefined;
    const edges: Edge[] = [];
    let at = from;
    while (!this.isGoal(goal, at)) {
      const d = dist.get(at)!;
      const next = (this.edges.get(at) ?? []).find((e) => dist.get(e.to) === d - (e.step ? 1 : 0));
      if (!next) return undefined;
      edges.push(next);
      at = next.to;
    }
    // A path onto one named node: the free hop from the node hub is the attacker's pick, not a step.
    const steps: PathStep[] = [];
    edges.forEach((e, i) => {
      if (!e.step) return;
      // A step into a hub names the member the free edges after it pick, and what it rests on.
      let reached = e.to;
      const picked: string[] = [];
      for (let j = i + 1; j < edges.length && !edges[j].step; j++) {
        reached = edges[j].to;
        if (edges[j].evidence) picked.push(edges[j].evidence);
      }
      const evidence = picked.length > 0 ? `${e.evidence}: ${picked.join(', ')}` : e.evidence;
      steps.push({ action: e.step.id, subject: label(reached), evidence, findings: e.findings });
    });
    return steps;
  }

  /**
   * For every starting identity, its shortest path to each goal it reaches: the starts the graph was built
   * with, or `starts`, whose edges are then made again from what they say (see setStarts).
   */
  paths(starts?: readonly StartFact[]): AttackPath[] {
    if (starts) this.setStarts(starts);
    const out: AttackPath[] = [];
    for (const start of starts ?? this.facts.starts) {
      for (const to of PATH_GOALS) {
        const steps = this.pathTo(`start:${start.name}`, to);
        if (steps) out.push({ from: start.name, to, steps });
      }
    }
    return out;
  }

  /** A service account's shortest path to each goal it reaches (`from` is `service account ns/name`). */
  accountPaths(namespace: string, name: string): AttackPath[] {
    const out: AttackPath[] = [];
    for (const to of PATH_GOALS) {
      const steps = this.pathTo(saKey(namespace, name), to);
      if (steps) out.push({ from: label(saKey(namespace, name)), to, steps });
    }
    return out;
  }

  /** How many steps a service account is from each goal it reaches, for ranking its token. */
  reachOf(namespace: string, name: string): Partial<Record<PathGoal, number>> {
    const out: Partial<Record<PathGoal, number>> = {};
    for (const goal of PATH_GOALS) {
      const d = this.distanceTo(goal).get(saKey(namespace, name));
      if (d !== undefined) out[goal] = d;
    }
    return out;
  }

  /** Token Secrets, those whose service account reaches the most the soonest first (cluster-admin first). */
  rankTokens(): TokenSecretFact[] {
    const score = (t: TokenSecretFact) => {
      const r = this.reachOf(t.namespace, t.serviceAccount);
      return PATH_GOALS.map((g) => r[g] ?? Number.POSITIVE_INFINITY);
    };
    const scored = this.facts.tokenSecrets.map((t) => ({ t, s: score(t) }));
    scored.sort((a, b) => {
      for (let i = 0; i < PATH_GOALS.length; i++) if (a.s[i] !== b.s[i]) return a.s[i] - b.s[i];
      return `${a.t.namespace}/${a.t.name}`.localeCompare(`${b.t.namespace}/${b.t.name}`);
    });
    return scored.map((x) => x.t);
  }
}

/**
 * The service accounts the facts name when they could not be listed: each pod's, and each a binding names
 * (whose rights are what makes one worth a path), with what named it.
 */
function accountsNamed(facts: PathFacts): ServiceAccountFact[] {
  const out = new Map<string, ServiceAccountFact>();
  const add = (namespace: string | undefined, name: string | undefined, namedBy: string) => {
    if (!namespace || !name || out.has(`${namespace}/${name}`)) return;
    out.set(`${namespace}/${name}`, { namespace, name, namedBy });
  };
  const unlisted = '(service accounts not listed)';
  for (const pod of facts.pods)
    add(pod.namespace, pod.serviceAccount, `run by pod ${pod.namespace}/${pod.name} ${unlisted}`);
  for (const b of facts.rbac.clusterRoleBindings ?? []) {
    for (const s of b.subjects ?? []) {
      if (s.kind === 'ServiceAccount')
        add(s.namespace, s.name, `named by ClusterRoleBinding ${b.metadata?.name} ${unlisted}`);
    }
  }
  for (const b of facts.rbac.roleBindings ?? []) {
    for (const s of b.subjects ?? []) {
      const ns = s.namespace ?? b.metadata?.namespace;
      if (s.kind === 'ServiceAccount')
        add(ns, s.name, `named by RoleBinding ${b.metadata?.namespace}/${b.metadata?.name} ${unlisted}`);
    }
  }
  return [...out.values()];
}

/** A kubelet as the API server authenticates it (its client certificate: CN=system:node:NAME, O=system:nodes). */
export function kubeletWho(node: string): Who {
  return { user: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'] };
}
