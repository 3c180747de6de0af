import { CronExpressionParser } from 'cron-parser';
import type { NodeSelectorRequirement, NodeSelectorTerm, PodSpec } from 'kubernetes-types/core/v1.js';
import {
  HOSTNAME_LABEL,
  type NodeFacts,
  NodeIndex,
  type NoFit,
  nodeFacts,
  type Placement,
  placementOf,
  taintText,
} from '../../kubernetes/node-fit.js';
import { count, sample } from '../evidence.js';
import {
  nameOf,
  namespaceOf,
  OPS_KB,
  type OpsFinding,
  type OpsObject,
  podSpecOf,
  podSpecPath,
  str,
  whereOf,
} from './objects.js';

// The operational risks of scheduling (issue 17, situations 6 and 7), pure like checks.ts:
//   KF-OPS-010  local or hostPath PersistentVolumes whose node affinity no current node meets (the node is
//               gone), with the claim bound to them and the pods stuck Pending on it;
//   KF-OPS-011  workloads (controllers, CronJobs, bare pods) whose node selector, required node affinity,
//               node name or tolerations no current node satisfies, judged as kube-scheduler does
//               (src/kubernetes/node-fit.ts);
//   KF-OPS-012  pods Pending and unscheduled, piling up under one owner (the scheduler retries each);
//   KF-OPS-013  CronJobs that allow concurrent runs (`concurrencyPolicy: Allow`, the default) on a
//               schedule of every few minutes.
// 010 and 011 need the nodes: without them (not readable, or manifests without Node objects) they are not
// run, and the caller says so as a `skipped` coverage gap (NODE_CHECKS names them).

/** From this many unscheduled Pending pods under one owner, the pile is a finding. */
export const PENDING_PILE = 20;
/** A schedule that runs at least this often (in minutes), through every hour it runs, is frequent. */
export const FREQUENT_MINUTES = 5;
/** The checks that need the cluster's nodes, as a coverage gap names them when they could not run. */
export const NODE_CHECKS = 'volumes on gone nodes (KF-OPS-010) and work no node can run (KF-OPS-011)';

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const meta = (o: OpsObject) => rec(o.item.metadata);
const labelsOf = (o: OpsObject) => rec(meta(o).labels);
/** A cluster-scoped object is named without a namespace: `PersistentVolume/name`. */
const clusterWhere = (o: OpsObject) => `${o.kind}/${nameOf(o)}`;

interface OwnerRef {
  kind: string;
  name: string;
}

/** The controller of an object (the reference marked controller, else the first one). */
function controllerOf(o: OpsObject): OwnerRef | undefined {
  const refs = arr(meta(o).ownerReferences).map(rec);
  const ref = refs.find((r) => r.controller === true) ?? refs[0];
  const kind = str(ref?.kind);
  const name = str(ref?.name);
  return kind && name ? { kind, name } : undefined;
}

const isPending = (pod: OpsObject) => rec(pod.item.status).phase === 'Pending';
/** Pending, bound to no node, and not held back on purpose by scheduling gates (the scheduler skips those). */
const isUnscheduled = (pod: OpsObject) =>
  isPending(pod) && !str(rec(pod.item.spec).nodeName) && arr(rec(pod.item.spec).schedulingGates).length === 0;

/** The objects by kind, and by `namespace/Kind/name`, read once. */
class Objects {
  readonly byKind = new Map<string, OpsObject[]>();
  private readonly byWhere = new Map<string, OpsObject>();

  constructor(objects: readonly OpsObject[]) {
    for (const o of objects) {
      const list = this.byKind.get(o.kind);
      if (list) list.push(o);
      else this.byKind.set(o.kind, [o]);
      this.byWhere.set(whereOf(o), o);
    }
  }

  of(kind: string): readonly OpsObject[] {
    return this.byKind.get(kind) ?? [];
  }

  get(namespace: string, kind: string, name: string): OpsObject | undefined {
    return this.byWhere.get(`${namespace}/${kind}/${name}`);
  }

  /**
   * The workload a pod comes from, as a user names it: a ReplicaSet's Deployment (the ReplicaSet is named
   * after it and the pod's pod-template-hash), a Job's CronJob (when the Job was read), else its controller.
   */
  ownerOf(pod: OpsObject): OwnerRef | undefined {
    const ref = controllerOf(pod);
    if (!ref) return undefined;
    const ns = namespaceOf(pod);
    if (ref.kind === 'ReplicaSet') {
      const hash = str(labelsOf(pod)['pod-template-hash']);
      // Only the Deployment controller names a ReplicaSet `<deployment>-<pod-template-hash>`: so even an
      // identity that may not list Deployments names the pile as one that may does.
      if (hash && ref.name.endsWith(`-${hash}`))
        return { kind: 'Deployment', name: ref.name.slice(0, -hash.length - 1) };
    }
    if (ref.kind === 'Job') {
      const job = this.get(ns, 'Job', ref.name);
      const parent = job && controllerOf(job);
      if (parent?.kind === 'CronJob') return parent;
    }
    return ref;
  }
}

/** Unscheduled Pending pods by the workload they come from (`namespace/Kind/name`). */
function pendingByOwner(objects: Objects): Map<string, { owner: OwnerRef; namespace: string; pods: OpsObject[] }> {
  const out = new Map<string, { owner: OwnerRef; namespace: string; pods: OpsObject[] }>();
  for (const pod of objects.of('Pod')) {
    if (!isUnscheduled(pod)) continue;
    const owner = objects.ownerOf(pod);
    if (!owner) continue;
    const key = `${namespaceOf(pod)}/${owner.kind}/${owner.name}`;
    const entry = out.get(key);
    if (entry) entry.pods.push(pod);
    else out.set(key, { owner, namespace: namespaceOf(pod), pods: [pod] });
  }
  return out;
}

// ---------------------------------------------------------------- KF-OPS-010: volumes on gone nodes

/** The nodes a node selector names (hostname or name In), which the evidence checks one by one. */
function namedNodes(terms: readonly NodeSelectorTerm[]): string[] {
  const names = new Set<string>();
  for (const term of terms) {
    const named = [
      ...arr(term?.matchExpressions).filter((r) => rec(r).key === HOSTNAME_LABEL),
      ...arr(term?.matchFields).filter((r) => rec(r).key === 'metadata.name'),
    ] as NodeSelectorRequirement[];
    for (const r of named) {
      if (r.operator === 'In') for (const v of arr(r.values)) if (typeof v === 'string') names.add(v);
    }
  }
  return [...names];
}

function strandedVolumes(objects: Objects, nodes: NodeIndex): OpsFinding[] {
  const out: OpsFinding[] = [];
  // Claims by the volume they are bound to, and the Pending pods by the claim they wait for.
  const claimOfVolume = new Map<string, OpsObject>();
  for (const pvc of objects.of('PersistentVolumeClaim')) {
    const volume = str(rec(pvc.item.spec).volumeName);
    if (volume) claimOfVolume.set(volume, pvc);
  }
  const waiting = new Map<string, string[]>();
  for (const pod of objects.of('Pod')) {
    if (!isPending(pod)) continue;
    for (const v of arr(rec(pod.item.spec).volumes)) {
      const claim = str(rec(rec(v).persistentVolumeClaim).claimName);
      if (!claim) continue;
      const key = `${namespaceOf(pod)}/${claim}`;
      const names = waiting.get(key);
      if (names) names.push(nameOf(pod));
      else waiting.set(key, [nameOf(pod)]);
    }
  }
  for (const pv of objects.of('PersistentVolume')) {
    const spec = rec(pv.item.spec);
    const source = spec.local ? 'local' : spec.hostPath ? 'hostPath' : undefined;
    if (!source) continue;
    const required = rec(rec(spec.nodeAffinity).required);
    if (!Array.isArray(required.nodeSelectorTerms)) continue; // not bound to a node by affinity
    const terms = required.nodeSelectorTerms as NodeSelectorTerm[];
    if (nodes.anyMeets(terms)) continue;
    const path = str(rec(spec[source]).path) ?? '?';
    const named = namedNodes(terms);
    const gone = named.filter((n) => !nodes.knows(n));
    const bound =
      gone.length > 0
        ? `bound by its node affinity to ${gone.length === 1 ? 'node' : 'nodes'} ${gone.join(', ')}, not among the ${count(nodes.size, 'node')}`
        : `bound by its node affinity to nodes none of the ${count(nodes.size, 'node')} matches`;
    const claimRef = rec(spec.claimRef);
    const byRef = str(claimRef.name) && { namespace: str(claimRef.namespace) ?? 'default', name: str(claimRef.name)! };
    const claimObject = claimOfVolume.get(nameOf(pv));
    const claim = byRef || (claimObject && { namespace: namespaceOf(claimObject), name: nameOf(claimObject) });
    const phase = str(rec(pv.item.status).phase);
    let held: string;
    if (claim) {
      const pods = waiting.get(`${claim.namespace}/${claim.name}`) ?? [];
      held =
        `; claimed by ${claim.namespace}/PersistentVolumeClaim/${claim.name}` +
        (pods.length > 0
          ? `; ${count(pods.length, 'pod')} Pending on it, never to start: ${sample(pods)}`
          : '; no pod waits for it now, the next one to use the claim will');
    } else held = `; not claimed${phase ? ` (${phase})` : ''}`;
    out.push({
      kb: OPS_KB.strandedVolume,
      object: pv,
      where: clusterWhere(pv),
      field: ['spec', 'nodeAffinity'],
      detail: `${source} volume ${path}${capacity(spec)} ${bound}${held}`,
    });
  }
  return out;
}

function capacity(spec: Record<string, unknown>): string {
  const storage = str(rec(spec.capacity).storage);
  return storage ? ` (${storage})` : '';
}

// ---------------------------------------------------------------- KF-OPS-011: work no node can run

/** The kinds whose pod template the scheduler places; DaemonSets are left out (they run on the nodes that fit, none is none). */
const PLACED = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/** Whether an object asks for pods now (not scaled to zero, suspended, finished or already placed). */
function wantsPods(o: OpsObject): boolean {
  const spec = rec(o.item.spec);
  const status = rec(o.item.status);
  switch (o.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet':
      return spec.replicas !== 0;
    case 'CronJob':
      return spec.suspend !== true;
    case 'Job':
      return (
        spec.suspend !== true &&
        status.completionTime === undefined &&
        !arr(status.conditions).some(
          (c) => ['Complete', 'Failed'].includes(str(rec(c).type) ?? '') && rec(c).status === 'True',
        )
      );
    case 'Pod':
      return status.phase === undefined || status.phase === 'Pending';
    default:
      return false;
  }
}

function describePlacement(p: Placement): string {
  const parts: string[] = [];
  if (p.nodeName !== undefined) parts.push(`nodeName ${p.nodeName}`);
  const selector = Object.entries(p.nodeSelector).map(([k, v]) => `${k}=${v}`);
  if (selector.length > 0) parts.push(`nodeSelector ${selector.join(',')}`);
  if (p.terms !== undefined) {
    const terms = p.terms.map((t) =>
      [
        ...arr(t?.matchExpressions).map((r) => requirement(r as NodeSelectorRequirement)),
        ...arr(t?.matchFields).map((r) => requirement(r as NodeSelectorRequirement)),
      ].join(', '),
    );
    parts.push(`required node affinity ${terms.map((t) => `(${t || 'empty'})`).join(' or ')}`);
  }
  if (p.tolerations.length > 0) parts.push(count(p.tolerations.length, 'toleration'));
  return parts.join('; ');
}

function requirement(r: NodeSelectorRequirement): string {
  const values = arr(r.values).filter((v) => typeof v === 'string');
  return `${r.key} ${r.operator}${values.length > 0 ? ` [${values.join(',')}]` : ''}`;
}

function whyNot(no: NoFit, nodes: NodeIndex): string {
  if (no.why === 'no-such-node') return `node ${no.nodeName} is not among the ${count(nodes.size, 'node')}`;
  if (no.why === 'no-match') return `none of the ${count(nodes.size, 'node')} matches it`;
  return `the nodes it matches carry taints it does not tolerate: ${no.taints.map(taintText).join(', ')}`;
}

/** The field a manifest's line points at: what decides the placement. */
function placementField(kind: string, p: Placement, no: NoFit): (string | number)[] {
  const base = podSpecPath(kind);
  if (no.why === 'no-such-node') return [...base, 'nodeName'];
  if (no.why === 'taints') return p.tolerations.length > 0 ? [...base, 'tolerations'] : base;
  return Object.keys(p.nodeSelector).length > 0 ? [...base, 'nodeSelector'] : [...base, 'affinity'];
}

function neverScheduled(objects: Objects, nodes: NodeIndex, pending: ReturnType<typeof pendingByOwner>): OpsFinding[] {
  const out: OpsFinding[] = [];
  // Many workloads share one placement: each is judged once.
  const judged = new Map<string, NoFit | undefined>();
  for (const [kind, list] of objects.byKind) {
    if (!PLACED.has(kind)) continue;
    for (const o of list) {
      // A controller's pods and a CronJob's Jobs are judged at their owner (the one to fix).
      if ((kind === 'Pod' || kind === 'ReplicaSet' || kind === 'Job') && controllerOf(o)) continue;
      if (!wantsPods(o)) continue;
      const spec: PodSpec | undefined = podSpecOf(o);
      if (!spec) continue;
      const p = placementOf(spec);
      const key = JSON.stringify(p);
      if (!judged.has(key)) judged.set(key, nodes.noFit(p));
      const no = judged.get(key);
      if (!no) continue;
      const waiting = pending.get(whereOf(o))?.pods.length ?? 0;
      const replicas =
        typeof o.item.spec?.replicas === 'number' ? `; ${count(o.item.spec.replicas, 'replica')} wanted` : '';
      out.push({
        kb: OPS_KB.neverScheduled,
        object: o,
        where: whereOf(o),
        field: placementField(kind, p, no),
        detail:
          `${describePlacement(p) || 'its placement'}: ${whyNot(no, nodes)}, so its pods stay Pending` +
          `${replicas}${waiting > 0 ? `; ${count(waiting, 'pod')} Pending now` : ''}`,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- KF-OPS-012: pending pods piling up

function pendingPiles(objects: Objects, pending: ReturnType<typeof pendingByOwner>): OpsFinding[] {
  const out: OpsFinding[] = [];
  for (const [where, { owner, namespace, pods }] of pending) {
    if (pods.length < PENDING_PILE) continue;
    const object = objects.get(namespace, owner.kind, owner.name) ?? {
      kind: owner.kind,
      item: { metadata: { name: owner.name, namespace } },
    };
    const created = pods
      .map((p) => str(meta(p).creationTimestamp))
      .filter((t): t is string => t !== undefined)
      .sort()[0];
    const message = pods.map(schedulerSays).find((m) => m !== undefined);
    out.push({
      kb: OPS_KB.pendingPile,
      object,
      where,
      detail:
        `${count(pods.length, 'pod')} Pending and not scheduled (a pile from ${PENDING_PILE} on)` +
        `${created ? `, the oldest since ${created}` : ''}: the scheduler retries every one of them on each pass` +
        `${message ? `; it says "${message.slice(0, 200)}"` : ''}; pods ${sample(pods.map(nameOf), 3)}`,
    });
  }
  return out;
}

/** What the scheduler wrote on a pod it could not place (its PodScheduled condition), if read. */
function schedulerSays(pod: OpsObject): string | undefined {
  const condition = arr(rec(pod.item.status).conditions)
    .map(rec)
    .find((c) => c.type === 'PodScheduled' && c.status === 'False');
  return str(condition?.message);
}

// ---------------------------------------------------------------- KF-OPS-013: CronJobs that pile up runs

/** A Go duration (`5m`, `1h30m`, `90s`) in minutes, or undefined. */
function goMinutes(text: string): number | undefined {
  const unit: Record<string, number> = { h: 60, m: 1, s: 1 / 60, ms: 1 / 60_000 };
  let total = 0;
  let rest = text.trim();
  if (rest === '') return undefined;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

/**
 * The longest wait between two runs within the hours a schedule runs, in minutes (`*\/5` → 5, `0,5` → 55),
 * or undefined for a schedule that is not understood. The macros (@hourly and rarer) are hourly at most;
 * `@every` is its duration. Day and hour fields only choose which hours run, not how often within them.
 */
export function everyMinutes(schedule: string): number | undefined {
  const text = schedule.replace(/^\s*(CRON_TZ|TZ)=\S+\s+/, '').trim();
  if (text.startsWith('@every ')) return goMinutes(text.slice('@every '.length));
  if (text.startsWith('@'))
    return ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'].includes(text)
      ? 60
      : undefined;
  if (text.split(/\s+/).length !== 5) return undefined; // Kubernetes takes five fields, never seconds
  let minutes: number[];
  try {
    minutes = [...CronExpressionParser.parse(text, { tz: 'UTC' }).fields.minute.values]
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return undefined;
  }
  if (minutes.length === 0) return undefined;
  let longest = 60 - minutes[minutes.length - 1] + minutes[0];
  for (let i = 1; i < minutes.length; i++) longest = Math.max(longest, minutes[i] - minutes[i - 1]);
  return longest;
}

function cronPileUps(objects: Objects): OpsFinding[] {
  const out: OpsFinding[] = [];
  for (const cj of objects.of('CronJob')) {
    const spec = rec(cj.item.spec);
    if (spec.suspend === true) continue;
    const policy = str(spec.concurrencyPolicy);
    if (policy !== undefined && policy !== 'Allow') continue;
    const schedule = str(spec.schedule);
    const every = schedule === undefined ? undefined : everyMinutes(schedule);
    if (every === undefined || every > FREQUENT_MINUTES) continue;
    const active = arr(rec(cj.item.status).active).length;
    out.push({
      kb: OPS_KB.cronPileUp,
      object: cj,
      where: whereOf(cj),
      field: ['spec', policy === undefined ? 'schedule' : 'concurrencyPolicy'],
      detail:
        `schedule "${schedule}" starts a Job every ${formatMinutes(every)} and concurrencyPolicy is ` +
        `${policy === undefined ? 'Allow (the default, not set)' : 'Allow'}: a run that outlasts ${formatMinutes(every)} ` +
        `overlaps the next, and slow runs pile up${active > 0 ? `; ${count(active, 'Job')} active now` : ''}`,
    });
  }
  return out;
}

function formatMinutes(m: number): string {
  return m >= 1 ? count(Math.round(m * 100) / 100, 'minute') : count(Math.round(m * 6000) / 100, 'second');
}

// ---------------------------------------------------------------- all of them

/**
 * Every scheduling risk the objects show. `nodes` says whether the cluster's nodes are known (the Node
 * objects among `objects` are all of them); by default, whether there is any. Without them (or when there
 * are none), the checks that need them (NODE_CHECKS) are not run.
 */
export function schedulingFindings(objects: readonly OpsObject[], options: { nodes?: boolean } = {}): OpsFinding[] {
  const index = new Objects(objects);
  const pending = pendingByOwner(index);
  const facts = index
    .of('Node')
    .map((n) => nodeFacts(n.item))
    .filter((n): n is NodeFacts => n !== undefined);
  const known = (options.nodes ?? facts.length > 0) && facts.length > 0;
  const nodes = known ? new NodeIndex(facts) : undefined;
  return [
    ...(nodes ? strandedVolumes(index, nodes) : []),
    ...(nodes ? neverScheduled(index, nodes, pending) : []),
    ...pendingPiles(index, pending),
    ...cronPileUps(index),
  ];
}
