import { type Ask, type Grant, type RbacFacts, RbacIndex, serviceAccountWho, type Who, whereAllowed } from './rbac.js';
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
  /**
   * Whether its service account's token is mounted (the pod's `automountServiceAccountToken`, else the
   * service account's, else true as the API server defaults it). Undefined: not known, taken as mounted.
   */
  tokenMounted?: boolean;
  /** Its controller as `Kind/name` (`ReplicaSet/web-5d9c`), when one owns it. */
  owner?: string;
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
}

export interface PathFacts {
  rbac: RbacFacts;
  serviceAccounts: ServiceAccountFact[];
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
  return key;
}

const where = (ns: string) => (ns === '*' ? 'in every namespace' : `in namespace ${ns}`);

export class EscalationGraph {
  private readonly edges = new Map<string, Edge[]>();
  private readonly rbac: RbacIndex;
  private readonly namespaces = new Set<string>();

  constructor(readonly facts: PathFacts) {
    this.rbac = new RbacIndex(facts.rbac);
    const free = (from: string, to: string, evidence = '') => this.edge(from, { to, evidence, findings: [] });
    for (const sa of facts.serviceAccounts) {
      this.namespaces.add(sa.namespace);
      free(hub('ns', sa.namespace), saKey(sa.namespace, sa.name));
    }
    for (const t of facts.tokenSecrets) {
      this.namespaces.add(t.namespace);
      free(hub('tokens', t.namespace), saKey(t.namespace, t.serviceAccount), `token Secret ${t.namespace}/${t.name}`);
    }
    for (const pod of facts.pods) {
      this.namespaces.add(pod.namespace);
      free(hub('exec', pod.namespace), saKey(pod.namespace, pod.serviceAccount), `pod ${pod.namespace}/${pod.name}`);
      if (pod.hostAccess && pod.node) {
        free(hub('exec-node', pod.namespace), `node:${pod.node}`, `pod ${pod.namespace}/${pod.name}`);
      }
    }
    for (const kind of HUBS) for (const ns of this.namespaces) free(hub(kind, '*'), hub(kind, ns));
    const nodes = new Set(facts.pods.map((p) => p.node).filter((n): n is string => !!n));
    for (const node of nodes) free(NODES, `node:${node}`);
    for (const pod of facts.pods) {
      if (!pod.node) continue;
      this.edge(`node:${pod.node}`, {
        to: saKey(pod.namespace, pod.serviceAccount),
        step: STEPS.nodeTokens,
        evidence: `pod ${pod.namespace}/${pod.name} runs on ${pod.node} as ${pod.serviceAccount}`,
        findings: [],
      });
    }
    this.edge(ADMIN, { to: SECRETS, step: STEPS.adminHolds, evidence: 'cluster-admin may list Secrets', findings: [] });
    this.edge(ADMIN, { to: NODES, step: STEPS.adminNode, evidence: 'cluster-admin may create pods', findings: [] });
    for (const sa of facts.serviceAccounts) {
      this.rightsEdges(saKey(sa.namespace, sa.name), this.rbac.grants(serviceAccountWho(sa.namespace, sa.name)));
    }
    for (const start of facts.starts) this.startEdges(start);
  }

  private edge(from: string, edge: Edge) {
    const all = this.edges.get(from);
    if (all) all.push(edge);
    else this.edges.set(from, [edge]);
  }

  /** Calls `add` for each namespace (or `*`) where one of the requests is allowed, with the grant as evidence. */
  private allowed(grants: Grant[], asks: Ask[], add: (ns: string, evidence: string) => void) {
    for (const ask of asks) {
      for (const [ns, grant] of whereAllowed(grants, ask)) {
        add(ns, `${ask.verb} ${ask.resource} ${where(ns)} (${grant.via})`);
      }
    }
  }

  /** The edges one subject's RBAC grants give it. */
  private rightsEdges(from: string, grants: Grant[]) {
    if (grants.length === 0) return;
    const to = (key: string, step: EscalationStep) => (_ns: string, evidence: string) =>
      this.edge(from, { to: key, step, evidence, findings: [] });
    const toNamespace = (step: EscalationStep) => (ns: string, evidence: string) =>
      this.edge(from, { to: nsHub(ns), step, evidence, findings: [] });
    const clusterWide = (ask: Ask) => whereAllowed(grants, ask).get('*');
    const all = (ask: Ask, step: EscalationStep, key: string) => {
      const g = clusterWide(ask);
      if (g) this.edge(from, { to: key, step, evidence: `${ask.verb} ${ask.resource} (${g.via})`, findings: [] });
      return g;
    };

    all({ verb: '*', group: '*', resource: '*' }, STEPS.wildcard, ADMIN);
    all({ verb: 'list', group: '', resource: 'secrets' }, STEPS.readSecrets, SECRETS);
    for (const [ns, grant] of whereAllowed(grants, { verb: 'get', group: '', resource: 'secrets' })) {
      const evidence = `get secrets ${where(ns)} (${grant.via})`;
      this.edge(from, { to: hub('tokens', ns), step: STEPS.readToken, evidence, findings: [] });
    }
    const createPods = whereAllowed(grants, { verb: 'create', group: '', resource: 'pods' });
    for (const [ns, grant] of createPods) {
      toNamespace(STEPS.createPodAs)(ns, `create pods ${where(ns)} (${grant.via})`);
    }
    const [firstPods] = createPods;
    if (firstPods) {
      to(NODES, STEPS.createPodNode)(firstPods[0], `create pods ${where(firstPods[0])} (${firstPods[1].via})`);
    }
    for (const verb of ['create', 'get']) {
      for (const [ns, grant] of whereAllowed(grants, { verb, group: '', resource: 'pods/exec' })) {
        const evidence = `${verb} pods/exec ${where(ns)} (${grant.via})`;
        this.edge(from, { to: hub('exec', ns), step: STEPS.exec, evidence, findings: [] });
        this.edge(from, { to: hub('exec-node', ns), step: STEPS.execNode, evidence, findings: [] });
      }
    }
    this.allowed(
      grants,
      [{ verb: 'create', group: '', resource: 'serviceaccounts/token' }],
      toNamespace(STEPS.tokenRequest),
    );
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
      to(NODES, STEPS.workloadPatch)(ns, evidence);
    });
    const RBAC = 'rbac.authorization.k8s.io';
    const binds = clusterWide({ verb: 'create', group: RBAC, resource: 'clusterrolebindings' });
    const bind = clusterWide({ verb: 'bind', group: RBAC, resource: 'clusterroles', name: 'cluster-admin' });
    if (binds && bind) {
      this.edge(from, {
        to: ADMIN,
        step: STEPS.bind,
        evidence: `create clusterrolebindings (${binds.via}); bind clusterroles/cluster-admin (${bind.via})`,
        findings: [],
      });
    }
    const escalate = clusterWide({ verb: 'escalate', group: RBAC, resource: 'clusterroles' });
    const edit =
      clusterWide({ verb: 'update', group: RBAC, resource: 'clusterroles' }) ??
      clusterWide({ verb: 'patch', group: RBAC, resource: 'clusterroles' });
    if (escalate && edit) {
      this.edge(from, {
        to: ADMIN,
        step: STEPS.escalate,
        evidence: `escalate clusterroles (${escalate.via}); update clusterroles (${edit.via})`,
        findings: [],
      });
    }
    all({ verb: 'impersonate', group: '', resource: 'groups', name: 'system:masters' }, STEPS.impersonate, ADMIN);
    this.allowed(
      grants,
      [{ verb: 'impersonate', group: '', resource: 'serviceaccounts' }],
      toNamespace(STEPS.impersonateSa),
    );
    for (const verb of ['get', 'create']) {
      if (all({ verb, group: '', resource: 'nodes/proxy' }, STEPS.nodesProxy, NODES)) break;
    }
    const CERTS = 'certificates.k8s.io';
    const approve = clusterWide({ verb: 'update', group: CERTS, resource: 'certificatesigningrequests/approval' });
    const csr = clusterWide({ verb: 'create', group: CERTS, resource: 'certificatesigningrequests' });
    if (approve && csr) {
      this.edge(from, {
        to: ADMIN,
        step: STEPS.csrApprove,
        evidence: `create certificatesigningrequests (${csr.via}); update certificatesigningrequests/approval (${approve.via})`,
        findings: [],
      });
    }
    for (const resource of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      if (all({ verb: 'create', group: 'admissionregistration.k8s.io', resource }, STEPS.webhook, SECRETS)) break;
    }
  }

  private startEdges(start: StartFact) {
    const from = `start:${start.name}`;
    if (start.who) this.rightsEdges(from, this.rbac.grants(start.who));
    const findings = start.canFindings ?? [];
    if (start.can?.['* *']) {
      this.edge(from, {
        to: ADMIN,
        step: STEPS.wildcard,
        evidence: 'SelfSubjectAccessReview of * * allowed',
        findings,
      });
    }
    if (start.can?.['create pods']) {
      this.edge(from, {
        to: NODES,
        step: STEPS.createPodNode,
        evidence: 'SelfSubjectAccessReview of create pods allowed',
        findings,
      });
    }
    if (!start.who) this.namespaceEdges(from, start.namespaces ?? {});
    for (const t of start.tokensRead ?? []) {
      this.edge(from, {
        to: `sa:${t.serviceAccount}`,
        step: STEPS.readToken,
        evidence: `read token Secret ${t.secret}`,
        findings: t.findings,
      });
    }
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
        add(NODES, STEPS.createPodNode, 'create pods');
      }
      if (can['create pods/exec']) {
        add(hub('exec', ns), STEPS.exec, 'create pods/exec');
        add(hub('exec-node', ns), STEPS.execNode, 'create pods/exec');
      }
      if (can['create serviceaccounts/token']) add(nsHub(ns), STEPS.tokenRequest, 'create serviceaccounts/token');
      if (can['patch deployments']) {
        add(nsHub(ns), STEPS.workloadPatch, 'patch deployments');
        add(NODES, STEPS.workloadPatch, 'patch deployments');
      }
    }
  }

  private readonly distances = new Map<PathGoal, Map<string, number>>();

  private isGoal(goal: PathGoal, key: string): boolean {
    if (goal === 'cluster-admin') return key === ADMIN;
    if (goal === 'every Secret') return key === SECRETS;
    return key === NODES || key.startsWith('node:');
  }

  /**
   * Steps from every node to a goal, by one search backwards from it (0-1 BFS: hub edges cost nothing), so
   * that the paths of every start and the rank of every token cost one search per goal, not one per node.
   */
  private distanceTo(goal: PathGoal): Map<string, number> {
    const cached = this.distances.get(goal);
    if (cached) return cached;
    const reverse = new Map<string, { from: string; cost: number }[]>();
    const sources: string[] = [];
    const all = new Set<string>();
    for (const [from, edges] of this.edges) {
      all.add(from);
      for (const e of edges) {
        all.add(e.to);
        const list = reverse.get(e.to);
        const entry = { from, cost: e.step ? 1 : 0 };
        if (list) list.push(entry);
        else reverse.set(e.to, [entry]);
      }
    }
    for (const key of all) if (this.isGoal(goal, key)) sources.push(key);
    const dist = new Map<string, number>(sources.map((k) => [k, 0]));
    const queue = [...sources];
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

  /** For every starting identity, its shortest path to each goal it reaches. */
  paths(): AttackPath[] {
    const out: AttackPath[] = [];
    for (const start of this.facts.starts) {
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
