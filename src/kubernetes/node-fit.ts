import type {
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodSpec,
  Taint,
  Toleration,
} from 'kubernetes-types/core/v1.js';

// Which nodes could run a pod, judged as kube-scheduler's filters judge it: NodeName (spec.nodeName),
// NodeUnschedulable (a cordoned node takes only pods tolerating its unschedulable taint), NodeAffinity
// (spec.nodeSelector AND the required node affinity: terms ORed, each term's requirements ANDed, an
// empty term matching nothing) and TaintToleration (every NoSchedule and NoExecute taint tolerated; a pod
// bound by spec.nodeName skips the scheduler, and only NoExecute taints, which evict, keep it off).
// Resources are not judged: what is free on a node changes by the second.
//
// Linear at any size: nodes are grouped by what these filters read (their labels, taints and whether
// cordoned), so a question costs the number of groups, not of nodes. The only label that tells nodes of
// one pool apart is kubernetes.io/hostname; it is kept out of the group and held per node, with the name
// (matchFields metadata.name), so a rule naming nodes looks them up instead of walking every node.

export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
/** The taint the scheduler reads into a cordoned node (spec.unschedulable). */
const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/** What the filters read of a node. */
export interface NodeFacts {
  name: string;
  labels: Record<string, string>;
  taints: readonly Taint[];
  unschedulable: boolean;
}

/** What the filters read of a pod spec. */
export interface Placement {
  nodeName?: string;
  nodeSelector: Record<string, string>;
  /** The required node affinity's terms; undefined when there is none (every node passes). */
  terms?: readonly NodeSelectorTerm[];
  tolerations: readonly Toleration[];
}

/** Why no node can run a pod. */
export type NoFit =
  | { why: 'no-such-node'; nodeName: string }
  | { why: 'no-match' }
  | { why: 'taints'; taints: Taint[] };

interface Member {
  name: string;
  hostname?: string;
  group: Group;
}

interface Group {
  /** Labels without the hostname's value (only whether it is there, in `hasHostname`). */
  labels: Map<string, string>;
  hasHostname: boolean;
  /** The taints that keep pods off (NoSchedule, NoExecute), the cordon's included. */
  taints: Taint[];
  members: Member[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const strings = (v: unknown): Record<string, string> =>
  isRecord(v)
    ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? v.filter((x) => isRecord(x)) : []) as T[];

/** What the filters read of a Node object, as listed (defensively: a server may send anything). */
export function nodeFacts(node: { metadata?: unknown; spec?: unknown }): NodeFacts | undefined {
  const metadata = isRecord(node.metadata) ? node.metadata : {};
  const spec = isRecord(node.spec) ? node.spec : {};
  if (typeof metadata.name !== 'string') return undefined;
  return {
    name: metadata.name,
    labels: strings(metadata.labels),
    taints: list<Taint>(spec.taints),
    unschedulable: spec.unschedulable === true,
  };
}

/** What the filters read of a pod spec. */
export function placementOf(spec: PodSpec | undefined): Placement {
  const s: Record<string, unknown> = isRecord(spec) ? spec : {};
  const required = isRecord(s.affinity) && isRecord(s.affinity.nodeAffinity) ? s.affinity.nodeAffinity : {};
  const selector = required.requiredDuringSchedulingIgnoredDuringExecution;
  return {
    ...(typeof s.nodeName === 'string' && s.nodeName !== '' && { nodeName: s.nodeName }),
    nodeSelector: strings(s.nodeSelector),
    ...(isRecord(selector) && { terms: list<NodeSelectorTerm>(selector.nodeSelectorTerms) }),
    tolerations: list<Toleration>(s.tolerations),
  };
}

/** Whether a toleration tolerates a taint (an empty effect or an `Exists` without key tolerates more). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  if (t.operator === undefined || t.operator === '' || t.operator === 'Equal')
    return (t.value ?? '') === (taint.value ?? '');
  return false;
}

/** The taints that keep a pod off a node and that none of its tolerations tolerates. */
export function untolerated(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint[] {
  return taints.filter((taint) => !tolerations.some((t) => tolerates(t, taint)));
}

/** A Kubernetes integer (what Gt and Lt compare), or undefined. */
function integer(v: string | undefined): bigint | undefined {
  return v !== undefined && /^[+-]?\d{1,19}$/.test(v) ? BigInt(v) : undefined;
}

/** Whether a value (undefined: the label is not there) meets a requirement, as labels.Requirement does. */
export function meets(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = Array.isArray(r.values) ? r.values.filter((v): v is string => typeof v === 'string') : [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const have = integer(value);
      const want = values.length === 1 ? integer(values[0]) : undefined;
      if (have === undefined || want === undefined) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false; // an operator the API server would have refused matches nothing
  }
}

/** One requirement on a node: of a label, or of a field (only metadata.name is one). */
interface Rule {
  field: 'label' | 'name';
  r: NodeSelectorRequirement;
}

/** Whether a rule is about one node rather than its pool (its name or hostname), so read per member. */
const perMember = (rule: Rule) =>
  rule.field === 'name' ||
  (rule.r.key === HOSTNAME_LABEL && rule.r.operator !== 'Exists' && rule.r.operator !== 'DoesNotExist');

function groupMeets(g: Group, rule: Rule): boolean {
  if (rule.r.key === HOSTNAME_LABEL) return meets(rule.r, g.hasHostname ? '' : undefined);
  return meets(rule.r, g.labels.get(rule.r.key ?? ''));
}

function memberMeets(m: Member, rule: Rule): boolean {
  return meets(rule.r, rule.field === 'name' ? m.name : m.hostname);
}

/** The rules of one term: its requirements, with the node selector's and the node name's ANDed to them. */
function termRules(term: NodeSelectorTerm | undefined, p: Placement): Rule[] | undefined {
  const rules: Rule[] = Object.entries(p.nodeSelector).map(([key, value]) => ({
    field: 'label',
    r: { key, operator: 'In', values: [value] },
  }));
  if (p.nodeName !== undefined)
    rules.push({ field: 'name', r: { key: 'metadata.name', operator: 'In', values: [p.nodeName] } });
  if (term === undefined) return rules;
  const expressions = list<NodeSelectorRequirement>(term.matchExpressions);
  const fields = list<NodeSelectorRequirement>(term.matchFields);
  if (expressions.length === 0 && fields.length === 0) return undefined; // an empty term matches no node
  // A field other than metadata.name, or an operator fields do not take, is refused by the API server.
  if (fields.some((f) => f.key !== 'metadata.name' || (f.operator !== 'In' && f.operator !== 'NotIn')))
    return undefined;
  rules.push(...expressions.map((r) => ({ field: 'label' as const, r })));
  rules.push(...fields.map((r) => ({ field: 'name' as const, r })));
  return rules;
}

/** The nodes of a cluster, grouped so that asking which could run a pod costs the groups, not the nodes. */
export class NodeIndex {
  private readonly groups = new Map<string, Group>();
  private readonly byName = new Map<string, Member>();
  private readonly byHostname = new Map<string, Member[]>();

  constructor(nodes: Iterable<NodeFacts>) {
    for (const node of nodes) {
      if (this.byName.has(node.name)) continue;
      const { [HOSTNAME_LABEL]: hostname, ...rest } = node.labels;
      const taints = node.taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
      if (node.unschedulable) taints.push(UNSCHEDULABLE_TAINT);
      const labels = Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const signature = JSON.stringify([
        labels,
        hostname !== undefined,
        taints.map((t) => [t.key, t.value ?? '', t.effect]).sort(),
      ]);
      let group = this.groups.get(signature);
      if (!group) {
        group = { labels: new Map(labels), hasHostname: hostname !== undefined, taints, members: [] };
        this.groups.set(signature, group);
      }
      const member: Member = { name: node.name, ...(hostname !== undefined && { hostname }), group };
      group.members.push(member);
      this.byName.set(node.name, member);
      if (hostname !== undefined) this.byHostname.set(hostname, [...(this.byHostname.get(hostname) ?? []), member]);
    }
  }

  /** How many nodes. */
  get size(): number {
    return this.byName.size;
  }

  /** How many groups of alike nodes (what each question costs). */
  get groupCount(): number {
    return this.groups.size;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Whether a node answers to this name or hostname. */
  knows(nameOrHostname: string): boolean {
    return this.byName.has(nameOrHostname) || this.byHostname.has(nameOrHostname);
  }

  /**
   * A node meeting one term's rules and passing `admits` (the taint filter, or none), or undefined. A rule
   * naming nodes (In on the name or hostname) looks them up; otherwise the groups are walked and, for the
   * rules about single nodes (NotIn a name), a group's members until one passes.
   */
  private find(rules: readonly Rule[], admits: (g: Group) => boolean): Member | undefined {
    const pooled = rules.filter((rule) => !perMember(rule));
    const single = rules.filter(perMember);
    const fits = (m: Member) => single.every((rule) => memberMeets(m, rule));
    const named = single.find((rule) => rule.r.operator === 'In');
    if (named) {
      for (const value of named.r.values ?? []) {
        const candidates = named.field === 'name' ? [this.byName.get(value)] : (this.byHostname.get(value) ?? []);
        for (const m of candidates) {
          if (m && pooled.every((rule) => groupMeets(m.group, rule)) && admits(m.group) && fits(m)) return m;
        }
      }
      return undefined;
    }
    for (const g of this.groups.values()) {
      if (!pooled.every((rule) => groupMeets(g, rule))) continue;
      const m = single.length === 0 ? g.members[0] : g.members.find(fits);
      if (m && admits(g)) return m;
    }
    return undefined;
  }

  /** A node meeting the selector (node selector, required affinity, node name) and passing `admits`. */
  private findPlaced(p: Placement, admits: (g: Group) => boolean): Member | undefined {
    for (const term of p.terms ?? [undefined]) {
      const rules = termRules(term, p);
      const found = rules && this.find(rules, admits);
      if (found) return found;
    }
    return undefined;
  }

  /** Undefined when some node could run a pod so placed, else why none can. */
  noFit(p: Placement): NoFit | undefined {
    if (p.nodeName !== undefined && !this.byName.has(p.nodeName)) return { why: 'no-such-node', nodeName: p.nodeName };
    // A pod bound by name skips the scheduler: only NoExecute taints (which evict it) still keep it off.
    const keepOff = (g: Group) =>
      untolerated(
        p.nodeName === undefined ? g.taints : g.taints.filter((t) => t.effect === 'NoExecute'),
        p.tolerations,
      );
    const admits = (g: Group) => keepOff(g).length === 0;
    if (this.findPlaced(p, admits)) return undefined;
    // Would the labels have let it in? Then the taints of the nodes they match are what keeps it off.
    const taints = new Map<string, Taint>();
    const seen = new Set<Group>();
    this.findPlaced(p, (g) => {
      if (!seen.has(g)) {
        seen.add(g);
        for (const t of keepOff(g)) taints.set(taintText(t), t);
      }
      return false; // keep walking: every group whose labels match is counted
    });
    return seen.size > 0 ? { why: 'taints', taints: [...taints.values()] } : { why: 'no-match' };
  }

  /** Whether some node meets a node selector's terms (a PersistentVolume's node affinity: taints do not count). */
  anyMeets(terms: readonly NodeSelectorTerm[]): boolean {
    return this.findPlaced({ nodeSelector: {}, terms, tolerations: [] }, () => true) !== undefined;
  }
}

/**
 * Whether a pod so placed may run on this one node, by the same filters as NodeIndex.noFit: for a question
 * asked of a few nodes each (a DaemonSet's pod on the nodes short of room), where no index pays.
 */
export function admits(p: Placement, node: NodeFacts): boolean {
  if (p.nodeName !== undefined && p.nodeName !== node.name) return false;
  const holds = (rule: Rule) => meets(rule.r, rule.field === 'name' ? node.name : node.labels[rule.r.key ?? '']);
  if (!(p.terms ?? [undefined]).some((term) => termRules(term, p)?.every(holds) ?? false)) return false;
  const taints = node.taints.filter(
    (t) => t.effect === 'NoExecute' || (p.nodeName === undefined && t.effect === 'NoSchedule'),
  );
  if (node.unschedulable && p.nodeName === undefined) taints.push(UNSCHEDULABLE_TAINT);
  return untolerated(taints, p.tolerations).length === 0;
}

/** A taint as kubectl shows it: `key=value:Effect`. */
export function taintText(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}
