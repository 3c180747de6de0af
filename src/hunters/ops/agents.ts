import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import { daemonPodTolerations } from '../../kubernetes/daemon-pods.js';
import { admits, type NodeFacts, nodeFacts, type Placement, placementOf } from '../../kubernetes/node-fit.js';
import { specContainers } from '../../kubernetes/pod-spec.js';
import { type RbacFacts, RbacIndex, serviceAccountWho, whereAllowed } from '../../paths/rbac.js';
import { count } from '../evidence.js';
import {
  nameOf,
  namespaceOf,
  OPS_KB,
  type OpsFinding,
  type OpsObject,
  podSpecOf,
  podSpecPath,
  quantity,
  str,
  whereOf,
} from './objects.js';

// The per-node agents and the fleets of replicas (issue 17, situations 2, 3 and 4): what they cost the
// registry, the API server and the nodes, judged on the objects indexed once (pods by owner, requests by
// node), so a cluster of 2,000 nodes and 50,000 pods costs one pass over each, never pods × owners or
// pods × nodes. Pure: no I/O.

const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** From this many replicas a workload pulling on every start is a stampede of its own (each rollout pulls them all). */
export const MANY_REPLICAS = 50;
/** The kubelet's crash-loop back-off stops growing at five minutes: a crash-looping container restarts at most 12 times an hour. */
export const CRASH_LOOP_PULLS_PER_HOUR = 12;

/** CPU in millicores, memory in bytes, and pod slots: what a pod asks of its node and what a node offers. */
export interface Resources {
  cpu: number;
  memory: number;
  pods: number;
}

const requestsOf = (c: Container | undefined) => ({
  cpu: (quantity(c?.resources?.requests?.cpu) ?? 0) * 1000,
  memory: quantity(c?.resources?.requests?.memory) ?? 0,
});

/**
 * What a pod spec asks of a node, as the scheduler adds it up: its containers and sidecars (init containers
 * that keep running) together, or its largest one-off init container if that is more, plus the pod overhead.
 */
export function podRequests(spec: PodSpec | undefined): Resources {
  let cpu = 0;
  let memory = 0;
  for (const c of Array.isArray(spec?.containers) ? spec.containers : []) {
    const r = requestsOf(c);
    cpu += r.cpu;
    memory += r.memory;
  }
  let initCpu = 0;
  let initMemory = 0;
  for (const c of Array.isArray(spec?.initContainers) ? spec.initContainers : []) {
    const r = requestsOf(c);
    if (c?.restartPolicy === 'Always') {
      cpu += r.cpu;
      memory += r.memory;
    } else {
      initCpu = Math.max(initCpu, r.cpu);
      initMemory = Math.max(initMemory, r.memory);
    }
  }
  const overhead = record(spec?.overhead);
  return {
    cpu: Math.max(cpu, initCpu) + (quantity(overhead.cpu) ?? 0) * 1000,
    memory: Math.max(memory, initMemory) + (quantity(overhead.memory) ?? 0),
    pods: 1,
  };
}

/** A node as the fit check needs it: what it offers, what the pods bound to it request, and what decides who may run there. */
export interface NodeRoom extends NodeFacts {
  allocatable: Resources;
  requested: Resources;
}

/** The objects indexed once for the checks of this file. */
export class Fleet {
  readonly daemonSets: OpsObject[] = [];
  /** Deployments and StatefulSets. */
  readonly replicated: OpsObject[] = [];
  readonly nodes: NodeRoom[] = [];
  /** Pods read, whoever owns them (the load a cluster-wide watch carries). */
  readonly podCount: number;
  /** The RBAC objects read live (given), else those among the objects (manifests); undefined when neither. */
  readonly rbac: RbacFacts | undefined;
  private readonly owned = new Map<string, OpsObject[]>();

  constructor(objects: readonly OpsObject[], rbac?: RbacFacts) {
    const pods: OpsObject[] = [];
    const facts: RbacFacts = { roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [] };
    let sawRbac = false;
    for (const o of objects) {
      switch (o.kind) {
        case 'DaemonSet':
          this.daemonSets.push(o);
          break;
        case 'Deployment':
        case 'StatefulSet':
          this.replicated.push(o);
          break;
        case 'Pod':
          pods.push(o);
          break;
        case 'Node':
          this.nodes.push(nodeRoom(o));
          break;
        case 'Role':
          facts.roles.push(o.item as Role);
          sawRbac = true;
          break;
        case 'ClusterRole':
          facts.clusterRoles.push(o.item as ClusterRole);
          sawRbac = true;
          break;
        case 'RoleBinding':
          facts.roleBindings.push(o.item as RoleBinding);
          sawRbac = true;
          break;
        case 'ClusterRoleBinding':
          facts.clusterRoleBindings.push(o.item as ClusterRoleBinding);
          sawRbac = true;
          break;
      }
    }
    this.rbac = rbac ?? (sawRbac ? facts : undefined);
    this.podCount = pods.length;
    const byName = new Map(this.nodes.map((n) => [n.name, n]));
    for (const p of pods) {
      const key = ownerKey(p);
      if (key !== undefined) {
        const list = this.owned.get(key);
        if (list) list.push(p);
        else this.owned.set(key, [p]);
      }
      const node = byName.get(str(p.item.spec?.nodeName) ?? '');
      if (!node || finished(p)) continue;
      const r = podRequests(p.item.spec as PodSpec | undefined);
      node.requested.cpu += r.cpu;
      node.requested.memory += r.memory;
      node.requested.pods += 1;
    }
  }

  /** The pods a DaemonSet, Deployment or StatefulSet runs (a Deployment's through its ReplicaSets). */
  podsOf(o: OpsObject): OpsObject[] {
    return this.owned.get(`${namespaceOf(o)}/${o.kind}/${nameOf(o)}`) ?? [];
  }
}

/** A pod that has finished holds no room on its node. */
const finished = (p: OpsObject) => p.item.status?.phase === 'Succeeded' || p.item.status?.phase === 'Failed';

/**
 * `namespace/Kind/name` of the workload that runs a pod: its controller, or for a ReplicaSet the Deployment
 * it names `<deployment>-<pod-template-hash>` (the hash never holds a dash; a ReplicaSet of its own names
 * a Deployment that is not there, and counts for nothing).
 */
function ownerKey(p: OpsObject): string | undefined {
  const refs = p.item.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  const ref = (refs.find((r) => r?.controller === true) ?? refs[0]) as { kind?: unknown; name?: unknown } | undefined;
  const kind = str(ref?.kind);
  const name = str(ref?.name);
  if (!kind || !name) return undefined;
  // Read from the name, not the pod's pod-template-hash label: the checks keep pods without labels.
  if (kind === 'ReplicaSet' && name.includes('-'))
    return `${namespaceOf(p)}/Deployment/${name.slice(0, name.lastIndexOf('-'))}`;
  return `${namespaceOf(p)}/${kind}/${name}`;
}

function nodeRoom(o: OpsObject): NodeRoom {
  const status = record(o.item.status);
  const allocatable = record(status.allocatable);
  return {
    ...(nodeFacts(o.item) ?? { name: nameOf(o), labels: {}, taints: [], unschedulable: false }),
    allocatable: {
      cpu: (quantity(allocatable.cpu) ?? Number.POSITIVE_INFINITY) * 1000,
      memory: quantity(allocatable.memory) ?? Number.POSITIVE_INFINITY,
      pods: quantity(allocatable.pods) ?? Number.POSITIVE_INFINITY,
    },
    requested: { cpu: 0, memory: 0, pods: 0 },
  };
}

/** What restarts say about pulls: restarts seen, their rate per hour (each pod's since it started), pods crash-looping. */
interface Restarts {
  restarts: number;
  perHour: number;
  crashLooping: number;
}

function restartsOf(pods: readonly OpsObject[], now: number): Restarts {
  const out: Restarts = { restarts: 0, perHour: 0, crashLooping: 0 };
  for (const p of pods) {
    let restarts = 0;
    let looping = false;
    const statuses = p.item.status?.containerStatuses;
    for (const s of Array.isArray(statuses) ? statuses : []) {
      if (typeof s?.restartCount === 'number' && s.restartCount > 0) restarts += s.restartCount;
      if (s?.state?.waiting?.reason === 'CrashLoopBackOff') looping = true;
    }
    out.restarts += restarts;
    if (looping) out.crashLooping++;
    const started = Date.parse(str(p.item.status?.startTime) ?? '');
    // Each pod's restart count is since it started on its node: its own rate, added up over the nodes.
    if (restarts > 0 && Number.isFinite(started) && now > started)
      out.perHour += restarts / ((now - started) / 3_600_000);
  }
  return out;
}

/** The containers of a pod spec that pull on every start, each with why. */
function pullingContainers(o: OpsObject): string[] {
  return specContainers(podSpecOf(o)).flatMap((c) => {
    const why = pullsEveryStart(c);
    return why ? [`container ${c.name}: ${why}`] : [];
  });
}

/**
 * (2) DaemonSets, and Deployments or StatefulSets of at least MANY_REPLICAS replicas, that pull on every
 * start. Live, the pods they run say how often they restart: each restart is a pull on that pod's node, so
 * the finding estimates pulls per hour from each pod's restarts since it started, added up over the nodes,
 * and what the crash-looping ones pull at the back-off ceiling.
 */
export function pullStampedes(fleet: Fleet, now: number): OpsFinding[] {
  const out: OpsFinding[] = [];
  const candidates = [
    ...fleet.daemonSets,
    ...fleet.replicated.filter(
      (o) => typeof o.item.spec?.replicas === 'number' && o.item.spec.replicas >= MANY_REPLICAS,
    ),
  ];
  for (const o of candidates) {
    const reasons = pullingContainers(o);
    if (reasons.length === 0) continue;
    const pods = fleet.podsOf(o);
    const seen = restartsOf(pods, now);
    let scale: string;
    if (o.kind === 'DaemonSet') {
      const nodes = o.item.status?.desiredNumberScheduled;
      scale =
        typeof nodes === 'number'
          ? `; runs on ${count(nodes, 'node')}, so each rollout is ${count(nodes, 'pull')} at once`
          : '';
    } else {
      const replicas = o.item.spec?.replicas as number;
      scale = `; ${count(replicas, 'replica')} (${MANY_REPLICAS} or more), so each rollout is ${count(replicas, 'pull')}`;
    }
    const rate =
      seen.restarts === 0
        ? ''
        : `; ${count(seen.restarts, 'restart')} across ${count(pods.length, 'pod')}, each a pull` +
          (seen.perHour > 0 ? `: about ${Math.round(seen.perHour)} pulls/hour` : '');
    const looping =
      seen.crashLooping === 0
        ? ''
        : `; ${count(seen.crashLooping, 'pod')} in CrashLoopBackOff, up to ${CRASH_LOOP_PULLS_PER_HOUR} × ${seen.crashLooping} = ` +
          `${CRASH_LOOP_PULLS_PER_HOUR * seen.crashLooping} pulls/hour at the 5-minute back-off ceiling`;
    out.push({
      kb: OPS_KB.pullStampede,
      object: o,
      where: whereOf(o),
      detail: `${reasons.join('; ')}${scale}${rate}${looping}`,
    });
  }
  return out;
}

/** Why a container's image is pulled on every start, or undefined when it is not. */
export function pullsEveryStart(c: Container): string | undefined {
  const image = str(c.image);
  if (!image) return undefined;
  if (image.includes('@sha256:')) return undefined; // a digest is pulled once per node, whatever the policy
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : undefined;
  if (c.imagePullPolicy === 'Always') return `imagePullPolicy Always on ${image}`;
  if (c.imagePullPolicy === 'IfNotPresent' || c.imagePullPolicy === 'Never') return undefined;
  if (tag === undefined) return `untagged image ${image} (policy defaults to Always)`;
  if (tag === 'latest') return `image ${image} (policy defaults to Always)`;
  return undefined;
}

/** The built-in priority classes, whose values every cluster has even when their objects are not read. */
const BUILT_IN_PRIORITIES: Record<string, number> = {
  'system-node-critical': 2_000_001_000,
  'system-cluster-critical': 2_000_000_000,
};
/** From this value on a priority class is a system class (user-defined ones stay below a billion). */
export const HIGH_PRIORITY = 1_000_000_000;
/** Requests per pod from which a DaemonSet's share of every node is substantial: half a core or 1 GiB. */
export const SUBSTANTIAL = { cpuMillis: 500, memoryBytes: 1024 ** 3 };

const gib = (bytes: number) => (bytes / 1024 ** 3).toFixed(2);

/**
 * Where a DaemonSet's pods are placed: its pod template's placement, with the tolerations the DaemonSet
 * controller adds to every pod it makes (node conditions, a cordon: src/kubernetes/daemon-pods.ts), which
 * never keep an agent off a node.
 */
function daemonPlacement(spec: PodSpec | undefined): Placement {
  return { ...placementOf(spec), tolerations: daemonPodTolerations(spec) };
}

/** The nodes a DaemonSet targets where its pod does not fit what is free (its own pod there counts as free). */
function tightNodes(fleet: Fleet, ds: OpsObject, need: Resources): { node: NodeRoom; free: Resources }[] {
  const placement = daemonPlacement(podSpecOf(ds));
  const own = new Map<string, Resources>();
  for (const p of fleet.podsOf(ds)) {
    const node = str(p.item.spec?.nodeName);
    if (node && !finished(p)) own.set(node, podRequests(p.item.spec as PodSpec | undefined));
  }
  const out: { node: NodeRoom; free: Resources }[] = [];
  for (const node of fleet.nodes) {
    const mine = own.get(node.name) ?? { cpu: 0, memory: 0, pods: 0 };
    const free = {
      cpu: node.allocatable.cpu - node.requested.cpu + mine.cpu,
      memory: node.allocatable.memory - node.requested.memory + mine.memory,
      pods: node.allocatable.pods - node.requested.pods + mine.pods,
    };
    // As the scheduler's NodeResourcesFit: a resource the pod does not request never keeps it off a node.
    const fits = (want: number, left: number) => want <= 0 || left >= want;
    if (fits(need.cpu, free.cpu) && fits(need.memory, free.memory) && fits(need.pods, free.pods)) continue;
    if (admits(placement, node)) out.push({ node, free });
  }
  return out;
}

const room = (r: Resources) =>
  `${Number.isFinite(r.cpu) ? Math.round(r.cpu) : '∞'}m CPU, ${Number.isFinite(r.memory) ? gib(r.memory) : '∞'} GiB, ${Number.isFinite(r.pods) ? r.pods : '∞'} pod slots`;

/**
 * (4) DaemonSets that crowd out applications: at a system priority (`system-node-critical`,
 * `system-cluster-critical`, or a class valued a billion or more) with substantial requests, they preempt
 * application pods on every node; and where their requests do not fit what is free on a node they target
 * (allocatable minus the requests of the pods bound to it), their pod there preempts or stays Pending.
 * One finding per DaemonSet, naming both when both hold.
 */
export function crowdingAgents(fleet: Fleet, priorityClasses: readonly OpsObject[]): OpsFinding[] {
  const values = new Map(Object.entries(BUILT_IN_PRIORITIES));
  for (const pc of priorityClasses) if (typeof pc.item.value === 'number') values.set(nameOf(pc), pc.item.value);
  const out: OpsFinding[] = [];
  for (const ds of fleet.daemonSets) {
    const spec = podSpecOf(ds);
    const need = podRequests(spec);
    const each = `${Math.round(need.cpu)}m CPU and ${gib(need.memory)} GiB`;
    const parts: string[] = [];
    let field: (string | number)[] | undefined;
    const className = str(spec?.priorityClassName);
    const value = className === undefined ? undefined : values.get(className);
    if (
      value !== undefined &&
      value >= HIGH_PRIORITY &&
      (need.cpu >= SUBSTANTIAL.cpuMillis || need.memory >= SUBSTANTIAL.memoryBytes)
    ) {
      const nodes = ds.item.status?.desiredNumberScheduled;
      const total =
        typeof nodes === 'number'
          ? `; on ${count(nodes, 'node')}: ${((need.cpu * nodes) / 1000).toFixed(1)} cores and ${((need.memory * nodes) / 1024 ** 3).toFixed(1)} GiB taken before any application`
          : '';
      parts.push(`priority class ${className} (${value}) and requests of ${each} per node${total}`);
      field = [...podSpecPath(ds.kind), 'priorityClassName'];
    }
    const tight = fleet.nodes.length > 0 ? tightNodes(fleet, ds, need) : [];
    if (tight.length > 0) {
      const shown = tight
        .slice(0, 3)
        .map((t) => `${t.node.name} has ${room(t.free)} free`)
        .join(', ');
      parts.push(
        `its pod (${each}) does not fit what is free on ${tight.length} of ${count(fleet.nodes.length, 'node')}, where it may run ` +
          `(${shown}${tight.length > 3 ? ', …' : ''}): there it preempts application pods or stays Pending`,
      );
      field ??= [...podSpecPath(ds.kind), 'containers'];
    }
    if (parts.length === 0) continue;
    out.push({ kb: OPS_KB.crowdingAgent, object: ds, where: whereOf(ds), field, detail: parts.join('; ') });
  }
  return out;
}

/** The service account a pod spec runs as. */
const accountOf = (spec: PodSpec | undefined) =>
  str(spec?.serviceAccountName) ?? str((spec as { serviceAccount?: unknown } | undefined)?.serviceAccount) ?? 'default';

/**
 * (3) DaemonSets whose service account may list or watch pods in every namespace (RBAC as the API server
 * evaluates it: a ClusterRoleBinding, to a role allowing `list`/`watch` on `pods`, `*` included). Every
 * node runs one such agent, so the API server serves nodes × pods: each relist returns every pod of the
 * cluster once per node. RoleBindings, even in every namespace, are not cluster-wide: such an agent must
 * list namespace by namespace, and a namespace created later is outside its rights (decided in
 * src/hunters/ops/README.md). Without RBAC objects nothing is judged; the caller says so.
 */
export function watchingAgents(fleet: Fleet): OpsFinding[] {
  if (!fleet.rbac || fleet.daemonSets.length === 0) return [];
  const index = new RbacIndex(fleet.rbac);
  const out: OpsFinding[] = [];
  for (const ds of fleet.daemonSets) {
    const spec = podSpecOf(ds);
    const account = accountOf(spec);
    const grants = index.grants(serviceAccountWho(namespaceOf(ds), account));
    const allowed = (['list', 'watch'] as const).flatMap((verb) => {
      const grant = whereAllowed(grants, { verb, group: '', resource: 'pods' }).get('*');
      return grant ? [{ verb, via: grant.via }] : [];
    });
    if (allowed.length === 0) continue;
    const vias = [...new Set(allowed.map((a) => a.via))];
    const nodes = ds.item.status?.desiredNumberScheduled;
    const load =
      typeof nodes === 'number' && fleet.podCount > 0
        ? `; ${count(nodes, 'node')} × ${count(fleet.podCount, 'pod')} read = ${(nodes * fleet.podCount).toLocaleString('en-US')} pod objects per relist of every agent, and every pod change sent to ${count(nodes, 'watcher')}`
        : typeof nodes === 'number'
          ? `; one agent on each of ${count(nodes, 'node')}, each served every pod of the cluster`
          : '';
    out.push({
      kb: OPS_KB.watchingAgent,
      object: ds,
      where: whereOf(ds),
      field: [...podSpecPath(ds.kind), 'serviceAccountName'],
      detail:
        `runs as service account ${namespaceOf(ds)}/${account}, which may ${allowed.map((a) => a.verb).join(' and ')} pods ` +
        `in every namespace (${vias.join('; ')})${load}`,
    });
  }
  return out;
}
