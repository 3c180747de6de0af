import { severityRank } from '../core/events.js';
import type { GraphNode, Report } from './schema.js';

// What the HTML graph draws of the report's graph. The model keeps every node (JSON and YAML carry them
// all); a picture of thousands of boxes is neither readable nor affordable (the layout grows much faster
// than the node count), so the drawing keeps what an attacker moves through — hosts, services, facts and
// the findings that lead further — and folds the leaf findings into groups, never more than
// MAX_DRAWN_NODES in all. Whatever is folded or left out is counted on the page; the table lists it all.

/** The most boxes the graph draws, whatever the report's size: it bounds the layout's cost. */
export const MAX_DRAWN_NODES = 250;

type Severity = NonNullable<GraphNode['severity']>;

export interface DrawnNode extends GraphNode {
  /** For a group: the fingerprints of the findings it stands for (the table's rows). */
  members?: string[];
  /** On an attack path: always drawn as its own box, and marked. */
  onPath?: boolean;
}

export interface DrawnGraph {
  nodes: DrawnNode[];
  edges: { from: string; to: string }[];
  /** Findings drawn inside a group rather than as their own box. */
  grouped: number;
  /** Hosts drawn as one box each, their detail left to the table. */
  collapsed: number;
  /** What was left out of the drawing altogether (hosts and nodes), when even grouping was not enough. */
  omitted: { hosts: number; nodes: number; findings: number };
}

const FINDING_PREFIX = 'finding:';

function maxSeverity(a: Severity | undefined, b: Severity | undefined): Severity | undefined {
  if (!a) return b;
  if (!b) return a;
  return severityRank(a) >= severityRank(b) ? a : b;
}

/** The findings a node stands for: itself, or a group's members. */
function findingsIn(n: DrawnNode): number {
  return n.members ? n.members.length : n.kind === 'finding' ? 1 : 0;
}

/** Draw-order rank of a node when the drawing must be cut: structure first, then the gravest findings. */
function keepRank(n: DrawnNode): number {
  if (n.onPath) return -1;
  const kinds: Record<string, number> = { host: 0, service: 1, port: 1, version: 2, credential: 3, access: 3 };
  const base = kinds[n.kind] ?? 4;
  return base * 10 + (n.severity ? 5 - severityRank(n.severity) : 5);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

class View {
  nodes = new Map<string, DrawnNode>();
  edges = new Map<string, { from: string; to: string }>();
  grouped = 0;
  /** Hosts drawn as one box each. */
  collapsed = 0;
  private groups = 0;
  private summaries: DrawnNode[] = [];
  omitted = { hosts: 0, nodes: 0, findings: 0 };

  constructor(graph: Report['graph'], marked: ReadonlySet<string>) {
    for (const n of graph.nodes) this.nodes.set(n.id, { ...n, ...(marked.has(n.id) && { onPath: true }) });
    for (const e of graph.edges) if (this.nodes.has(e.from) && this.nodes.has(e.to)) this.addEdge(e.from, e.to);
  }

  addEdge(from: string, to: string): void {
    if (from !== to) this.edges.set(`${from}\0${to}`, { from, to });
  }

  /** Each node's parents and whether it has children, from the current edges. */
  links(): { parents: Map<string, string[]>; hasChildren: Set<string> } {
    const parents = new Map<string, string[]>();
    const hasChildren = new Set<string>();
    for (const e of this.edges.values()) {
      hasChildren.add(e.from);
      const list = parents.get(e.to);
      if (list) list.push(e.from);
      else parents.set(e.to, [e.from]);
    }
    return { parents, hasChildren };
  }

  remove(ids: Set<string>): void {
    for (const id of ids) this.nodes.delete(id);
    for (const [key, e] of this.edges) if (ids.has(e.from) || ids.has(e.to)) this.edges.delete(key);
  }

  /**
   * Folds the leaf findings (and earlier groups) that share their parents and `keyOf` into one group node.
   * Only sets of two or more fold: a lone finding keeps its own box.
   */
  fold(keyOf: (n: DrawnNode) => string, labelOf: (members: DrawnNode[]) => string): void {
    const { parents, hasChildren } = this.links();
    const sets = new Map<string, { parents: string[]; members: DrawnNode[] }>();
    for (const n of this.nodes.values()) {
      if (n.onPath || hasChildren.has(n.id) || !(n.kind === 'finding' || n.members)) continue;
      const from = (parents.get(n.id) ?? []).sort();
      const key = `${from.join('\0')}\u0001${keyOf(n)}`;
      const set = sets.get(key);
      if (set) set.members.push(n);
      else sets.set(key, { parents: from, members: [n] });
    }
    const folded = new Set<string>();
    const made: { node: DrawnNode; parents: string[] }[] = [];
    for (const set of sets.values()) {
      if (set.members.length < 2) continue;
      const fingerprints = set.members.flatMap((m) =>
        m.members ? m.members : m.id.startsWith(FINDING_PREFIX) ? [m.id.slice(FINDING_PREFIX.length)] : [],
      );
      const hosts = new Set(set.members.map((m) => m.host));
      const id = `group:${this.groups++}:${keyOf(set.members[0])}`;
      this.grouped += set.members.reduce((sum, m) => sum + (m.members ? 0 : 1), 0);
      for (const m of set.members) folded.add(m.id);
      const severity = set.members.reduce<Severity | undefined>((s, m) => maxSeverity(s, m.severity), undefined);
      const host = hosts.size === 1 ? set.members[0].host : undefined;
      const node: DrawnNode = {
        id,
        kind: 'finding',
        label: labelOf(set.members),
        ...(severity && { severity }),
        ...(host !== undefined && { host }),
        members: fingerprints,
      };
      made.push({ node, parents: set.parents });
    }
    this.remove(folded);
    for (const { node, parents } of made) {
      this.nodes.set(node.id, node);
      for (const p of parents) this.addEdge(p, node.id);
    }
  }

  /**
   * Draws whole hosts as one box each, the least grave first, until the drawing fits in `max` boxes; when
   * even one box per host is too many, the least grave of those are left out.
   */
  collapseHosts(max: number): void {
    const byHost = new Map<string, DrawnNode[]>();
    for (const n of this.nodes.values()) {
      // A node on an attack path keeps its own box whatever happens to its host's.
      if (n.host === undefined || n.onPath) continue;
      const list = byHost.get(n.host);
      if (list) list.push(n);
      else byHost.set(n.host, [n]);
    }
    const gravity = (list: DrawnNode[]) =>
      list.reduce((r, n) => Math.max(r, n.severity ? severityRank(n.severity) : -1), -1);
    const hosts = [...byHost.entries()]
      .map(([host, list]) => ({ host, list, gravity: gravity(list) }))
      .sort((a, b) => b.gravity - a.gravity || a.list.length - b.list.length || a.host.localeCompare(b.host));
    let size = this.nodes.size - [...byHost.values()].reduce((s, l) => s + l.length, 0);
    const collapse: typeof hosts = [];
    for (const [i, h] of hosts.entries()) {
      // A host keeps its detail when it fits beside one box for each host after it; the gravest always
      // does (too big alone, the cut trims it rather than the whole picture). From the first that does
      // not fit, every host is one box.
      const after = hosts.length - i - 1;
      if (collapse.length === 0 && (i === 0 || size + h.list.length + after <= max)) size += h.list.length;
      else collapse.push(h);
    }
    const dropped = new Set<string>();
    const into = new Map<string, string>();
    for (const h of collapse) {
      if (size + 1 > max) {
        this.omitted.hosts++;
        for (const n of h.list) dropped.add(n.id);
        continue;
      }
      size++;
      const id = `host:${h.host}`;
      const members = h.list.flatMap((n) =>
        n.members ? n.members : n.kind === 'finding' ? [n.id.slice(FINDING_PREFIX.length)] : [],
      );
      const severity = h.list.reduce<Severity | undefined>((s, n) => maxSeverity(s, n.severity), undefined);
      for (const n of h.list) into.set(n.id, id);
      this.collapsed++;
      this.summaries.push({
        id,
        kind: 'host',
        label: `${h.host}: ${plural(members.length, 'finding')}`,
        host: h.host,
        ...(severity && { severity }),
        ...(members.length > 0 && { members }),
      });
    }
    // Edges to and from a collapsed host's nodes now meet its box.
    const edges = [...this.edges.values()];
    this.remove(new Set(into.keys()));
    for (const summary of this.summaries) this.nodes.set(summary.id, summary);
    for (const e of edges) {
      const from = into.get(e.from) ?? e.from;
      const to = into.get(e.to) ?? e.to;
      if ((into.has(e.from) || into.has(e.to)) && this.nodes.has(from) && this.nodes.has(to)) this.addEdge(from, to);
    }
    this.drop(dropped);
  }

  /** The last resort: keeps the `max` most telling boxes, whatever they are. */
  cut(max: number): void {
    if (this.nodes.size <= max) return;
    const order = [...this.nodes.values()].sort((a, b) => keepRank(a) - keepRank(b) || a.id.localeCompare(b.id));
    this.drop(new Set(order.slice(max).map((n) => n.id)));
  }

  drop(ids: Set<string>): void {
    for (const id of ids) {
      const n = this.nodes.get(id);
      if (!n) continue;
      this.omitted.nodes++;
      this.omitted.findings += findingsIn(n);
    }
    this.remove(ids);
  }
}

/**
 * The ids of the graph nodes on the report's attack paths: each path's own finding (KF-PATH-…, its object
 * `from → to`) and the findings its steps cite.
 */
export function pathNodeIds(report: Pick<Report, 'paths' | 'findings'>): Set<string> {
  const ids = new Set<string>();
  for (const path of report.paths) {
    for (const step of path.steps) for (const fp of step.findings) ids.add(`${FINDING_PREFIX}${fp}`);
    const own = report.findings.find(
      (f) => f.kb.startsWith('KF-PATH-') && f.host === path.host && f.object === `${path.from} → ${path.to}`,
    );
    if (own) ids.add(`${FINDING_PREFIX}${own.fingerprint}`);
  }
  return ids;
}

/**
 * The part of `graph` the HTML page draws: at most `max` nodes, leaf findings grouped. The `marked` nodes
 * (attack paths) are never grouped, folded into their host or cut: they are drawn and flagged `onPath`.
 */
export function drawnGraph(
  graph: Report['graph'],
  max = MAX_DRAWN_NODES,
  marked: ReadonlySet<string> = new Set(),
): DrawnGraph {
  const view = new View(graph, marked);
  // A finding node's label is "<kb id> <title>": one group per kind of finding under the same parents.
  const kindOf = (n: DrawnNode) => (n.members ? n.label.replace(/^\d+ × /, '') : n.label);
  view.fold(kindOf, (members) => `${members.reduce((s, m) => s + findingsIn(m), 0)} × ${kindOf(members[0])}`);
  if (view.nodes.size > max) {
    view.fold(
      () => 'any',
      (members) => {
        const kinds = new Set(members.map(kindOf)).size;
        return `${plural(
          members.reduce((s, m) => s + findingsIn(m), 0),
          'finding',
        )} of ${plural(kinds, 'kind')}`;
      },
    );
  }
  // One box is kept back for the note of what was left out.
  if (view.nodes.size > max) view.collapseHosts(max - 1);
  if (view.nodes.size > max) view.cut(max - 1);
  if (view.omitted.nodes > 0) {
    const { hosts, nodes, findings } = view.omitted;
    const label = `not drawn: ${hosts > 0 ? `${plural(hosts, 'host')}, ` : ''}${plural(nodes, 'node')}, ${plural(findings, 'finding')}`;
    view.nodes.set('omitted', { id: 'omitted', kind: 'gap', label });
  }
  return {
    nodes: [...view.nodes.values()],
    edges: [...view.edges.values()],
    grouped: view.grouped,
    collapsed: view.collapsed,
    omitted: view.omitted,
  };
}
