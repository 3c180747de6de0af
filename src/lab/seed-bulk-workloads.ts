import type { Container, Node, Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { daemonPodTolerations } from '../kubernetes/daemon-pods.js';
import { controllerRef } from './owners.js';
import { defaultPod, healthyNodeStatus, type NodeSlot, runPod, tokenVolume } from './pods.js';
import { RESOURCES, resourceOfKind } from './resources.js';
import { BULK_LABEL, type LabScale, seeded } from './seed-bulk.js';
import { type KubeObject, type Store, stableUid, timestamp } from './store.js';
import { PORTS } from './topology.js';
import { templateHash } from './workloads.js';

// The lab at the size of a large cluster, for the operational checks (issue 17): `apiNodes` Node objects
// served by the API only (no kubelet listens for them: the topology's nodes stay the only ones that do),
// and `workloads` Deployments, DaemonSets, StatefulSets, Jobs and CronJobs spread over namespaces, with
// `workloadPods` pods for them spread over those nodes. Templates look like a fleet that is run with care
// (pinned images, requests and limits, probes, non-root), so what the checks find at scale is what the
// lab seeds on purpose, plus the few workloads drawn without a security context. Like every bulk object,
// they are named `a-bulk-…` (listed before the lab's own), labelled BULK_LABEL (kept out of etcd and the
// container runtime) and the same for the same seed.

/** Node pools: their share of the nodes, machine, and the taint that keeps ordinary pods off. */
const POOLS = [
  { name: 'general', share: 0.8, type: 'm5.2xlarge', cpu: 8, memoryGi: 32 },
  { name: 'memory', share: 0.1, type: 'r5.4xlarge', cpu: 16, memoryGi: 128 },
  { name: 'infra', share: 0.06, type: 'c5.2xlarge', cpu: 8, memoryGi: 16, taint: 'node-role.kubernetes.io/infra' },
  { name: 'gpu', share: 0.04, type: 'p3.2xlarge', cpu: 8, memoryGi: 61, taint: 'nvidia.com/gpu' },
] as const;
type Pool = (typeof POOLS)[number];
const ZONES = ['lab-zone-a', 'lab-zone-b', 'lab-zone-c'];
/** Where a node says it belongs: the label workloads select their pool by. */
export const POOL_LABEL = 'lab.kubeferret.io/pool';
/** The namespace of the added DaemonSets (cluster agents); workloads go to `a-bulk-team-<n>`. */
export const AGENTS_NAMESPACE = 'a-bulk-system';
/** Workloads per team namespace. */
export const WORKLOADS_PER_NAMESPACE = 25;
/** One workload in this many is a DaemonSet (5,000 workloads: 10 agents on every node or pool). */
export const DAEMONSET_EVERY = 500;
/** Pods per workload when `workloadPods` is not given. */
export const DEFAULT_PODS_PER_WORKLOAD = 10;

const APPS = ['web', 'api', 'worker', 'ingest', 'billing', 'search', 'cache', 'gateway', 'auth', 'report'];
const AGENTS = ['node-exporter', 'log-shipper', 'gpu-device-plugin', 'csi-node', 'net-policy', 'dns-cache'];
const PUBLIC_IMAGES = ['nginx:1.25.3', 'redis:7.2.4', 'postgres:16.2', 'envoyproxy/envoy:v1.29.2'];
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SUFFIX_SPACE = ALPHABET.length ** 5;
const pad = (n: number, width = 6) => String(n).padStart(width, '0');
const bulk = { [BULK_LABEL]: 'true' };

/**
 * A 5-letter suffix, Kubernetes' alphabet, distinct for each ordinal below 27^5: multiplying by a number
 * prime to 27^5 permutes the ordinals, so generated pod names never collide (a random suffix would, and
 * the store would keep one pod for two).
 */
export function ordinalSuffix(salt: number, ordinal: number): string {
  let n = (ordinal * 7919 + salt) % SUFFIX_SPACE;
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += ALPHABET[n % ALPHABET.length];
    n = Math.floor(n / ALPHABET.length);
  }
  return out;
}

/** Whether the scale asks for any of the objects of this file. */
export function wantsBulkWorkloads(scale: LabScale | undefined): boolean {
  return !!scale && ((scale.apiNodes ?? 0) > 0 || (scale.workloads ?? 0) > 0);
}

/** How many pods the added workloads run in all. */
export function workloadPodsOf(scale: LabScale): number {
  return scale.workloadPods ?? (scale.workloads ?? 0) * DEFAULT_PODS_PER_WORKLOAD;
}

export interface BulkWorkloadContext {
  /** The lab's own nodes: the pods' nodes when no API-only node is asked for. */
  labNodes: readonly NodeSlot[];
  /** The address of the i-th API-only node (loopback, where nothing listens). */
  nodeAddress: (i: number) => string;
  version: string;
  minor: number;
  /** When the objects were made (backdated, as the lab's seeds are). */
  created: Date;
  /** Now, for the CronJobs' last schedule. */
  now: Date;
}

interface PlacedNode extends NodeSlot {
  pool: Pool['name'];
  /** Where its pods' addresses come from: 10.128.0.0/9, a /24 per node. */
  cidr: number;
  taint?: string;
  /** What is still free on it as pods are placed: CPU (millicores), memory (MiB), pod slots. */
  room: { cpu: number; memory: number; slots: number };
}

/** Where the scheduler put a pod: a node, or nowhere (no node of its pool had room; that many nodes tried). */
type Placement = PlacedNode | { unschedulable: number };

/** A pod the scheduler could place nowhere: Pending, with the scheduler's own account of why. */
function pendingPod(pod: Pod, tried: number, created: Date): Pod {
  const at = timestamp(created);
  const message =
    `0/${tried} nodes are available: ${tried} Insufficient cpu. ` +
    `preemption: 0/${tried} nodes are available: ${tried} No preemption victims found for incoming pod.`;
  return {
    ...pod,
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: at }],
      qosClass: 'Burstable',
    },
  };
}

/** Allocatable of a node of the pool: what the kubelet reserves is taken off its capacity. */
const allocatable = (pool: Pool) => ({ cpu: pool.cpu * 1000 - 90, memory: pool.memoryGi * 1024 - 977, slots: 110 });

type Kind = 'Deployment' | 'StatefulSet' | 'Job' | 'CronJob' | 'DaemonSet';

/** Which kind the i-th workload is: a DaemonSet every DAEMONSET_EVERY, else 14 Deployments in 20, … */
export function workloadKind(i: number): Kind {
  if (i % DAEMONSET_EVERY === DAEMONSET_EVERY - 1) return 'DaemonSet';
  const r = i % 20;
  if (r < 14) return 'Deployment';
  if (r < 16) return 'StatefulSet';
  if (r < 17) return 'Job';
  return 'CronJob';
}

const ipOf = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const CIDR_BASE = (10 << 24) + (128 << 16);

function apiNodes(scale: LabScale, ctx: BulkWorkloadContext): PlacedNode[] {
  const count = scale.apiNodes ?? 0;
  const out: PlacedNode[] = [];
  const inPool = new Map<string, number>();
  // Pools by share, laid out so that every pool with a share of the nodes has one as soon as possible.
  for (let i = 0; i < count; i++) {
    let pool: Pool = POOLS[0];
    let best = -Infinity;
    for (const p of POOLS) {
      const lack = p.share * (i + 1) - (inPool.get(p.name) ?? 0);
      if (lack > best) {
        best = lack;
        pool = p;
      }
    }
    inPool.set(pool.name, (inPool.get(pool.name) ?? 0) + 1);
    out.push({
      name: `a-bulk-node-${pad(i + 1)}`,
      address: ctx.nodeAddress(i),
      index: i,
      pool: pool.name,
      cidr: (CIDR_BASE + (i % 32_768) * 256) >>> 0,
      ...('taint' in pool && { taint: pool.taint }),
      room: allocatable(pool),
    });
  }
  return out;
}

function nodeObject(n: PlacedNode, random: () => number, ctx: BulkWorkloadContext): Node {
  const pool = POOLS.find((p) => p.name === n.pool)!;
  const zone = ZONES[n.index % ZONES.length];
  const memoryKi = pool.memoryGi * 1024 * 1024;
  const at = timestamp(ctx.created);
  // About one node in 200 is cordoned (a drain in progress), as in any large fleet.
  const cordoned = random() < 0.005;
  const taints = [
    ...(n.taint ? [{ key: n.taint, value: 'true', effect: 'NoSchedule' }] : []),
    ...(cordoned ? [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: at }] : []),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: {
        ...bulk,
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/instance-type': pool.type,
        'beta.kubernetes.io/os': 'linux',
        'failure-domain.beta.kubernetes.io/region': 'lab-region-1',
        'failure-domain.beta.kubernetes.io/zone': zone,
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': pool.type,
        'topology.kubernetes.io/region': 'lab-region-1',
        'topology.kubernetes.io/zone': zone,
        [POOL_LABEL]: pool.name,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: `${ipOf(n.cidr)}/24`,
      podCIDRs: [`${ipOf(n.cidr)}/24`],
      ...(cordoned && { unschedulable: true }),
      ...(taints.length > 0 && { taints }),
    },
    status: {
      capacity: { cpu: String(pool.cpu), 'ephemeral-storage': '104845292Ki', memory: `${memoryKi}Ki`, pods: '110' },
      allocatable: {
        cpu: `${pool.cpu * 1000 - 90}m`,
        'ephemeral-storage': '95551679124',
        memory: `${memoryKi - 1_000_000}Ki`,
        pods: '110',
      },
      ...healthyNodeStatus(n.name, n.address, at, PORTS.kubelet),
      nodeInfo: {
        machineID: stableUid(`machine/${n.name}`).replace(/-/g, ''),
        systemUUID: stableUid(`system/${n.name}`),
        bootID: stableUid(`boot/${n.name}`),
        kernelVersion: '6.1.0-18-cloud-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.13',
        kubeletVersion: ctx.version,
        kubeProxyVersion: ctx.version,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** A workload as drawn: its place, pod template and how many pods it runs. */
interface Drawn {
  kind: Kind;
  namespace: string;
  name: string;
  pool?: PlacedNode['pool'];
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  weight: number;
  autoscaled: boolean;
  /** Its pods restart often (a crash loop). */
  flaky: boolean;
  /** What each of its pods requests: CPU in millicores, memory in MiB. */
  requests: { cpu: number; memory: number };
}

function container(
  name: string,
  image: string,
  random: () => number,
  careful: boolean,
  probe: 'http' | 'tcp' | 'exec',
  agent = false,
): Container {
  // Agents on every node ask for little (a node's share, however many nodes), applications for more.
  // Sized so that a fleet of 25 pods a node fills about half of what the nodes have, as clusters run.
  const sizes = agent ? 4 : 7;
  const cpu = [25, 50, 100, 100, 150, 250, 500][Math.floor(random() * sizes)];
  const memory = [64, 128, 128, 256, 256, 512, 1024][Math.floor(random() * sizes)];
  const check =
    probe === 'http'
      ? { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' } }
      : probe === 'tcp'
        ? { tcpSocket: { port: 8080 } }
        : // Exec probes get a timeout that lets a slow command finish.
          { exec: { command: ['sh', '-c', 'pg_isready -q'] }, timeoutSeconds: 5 };
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    env: [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'PORT', value: '8080' },
    ],
    resources: {
      requests: { cpu: `${cpu}m`, memory: `${memory}Mi` },
      limits: { cpu: `${cpu * 2}m`, memory: `${memory}Mi` },
    },
    readinessProbe: { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, ...check },
    livenessProbe: {
      initialDelaySeconds: 15,
      timeoutSeconds: 1,
      periodSeconds: 20,
      successThreshold: 1,
      failureThreshold: 3,
      ...check,
    },
    ...(careful && {
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      },
    }),
  };
}

function draw(i: number, teams: number, pools: Set<string>, random: () => number): Drawn {
  const kind = workloadKind(i);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const agent = kind === 'DaemonSet';
  const base = agent ? AGENTS[Math.floor(i / DAEMONSET_EVERY) % AGENTS.length] : pick(APPS);
  const name = `a-bulk-${base}-${pad(i + 1)}`;
  const namespace = agent ? AGENTS_NAMESPACE : `a-bulk-team-${pad((i % teams) + 1, 4)}`;
  // Agents on every node, but the GPU plugin only on the GPU pool; others on a pool by its share.
  let pool: PlacedNode['pool'] | undefined;
  if (agent) pool = base === 'gpu-device-plugin' && pools.has('gpu') ? 'gpu' : undefined;
  else {
    const u = random();
    let sum = 0;
    pool = 'general';
    for (const p of POOLS) {
      sum += p.share;
      if (u < sum) {
        pool = p.name;
        break;
      }
    }
    if (!pools.has(pool)) pool = pools.has('general') ? 'general' : undefined;
  }
  const taint = POOLS.find((p) => p.name === pool && 'taint' in p) as { taint?: string } | undefined;
  const tolerations: Toleration[] = agent
    ? [{ operator: 'Exists' }]
    : taint?.taint
      ? [{ key: taint.taint, operator: 'Equal', value: 'true', effect: 'NoSchedule' }]
      : [];
  // One workload in fifty was deployed without a security context (the pod-spec checks report those).
  const careful = random() >= 0.02;
  const probe = kind === 'StatefulSet' ? 'exec' : random() < 0.7 ? 'http' : 'tcp';
  const image =
    kind === 'StatefulSet'
      ? pick(PUBLIC_IMAGES)
      : `registry.lab.kubeferret.io/${agent ? 'platform' : namespace.slice('a-bulk-'.length)}/${base}:1.${Math.floor(random() * 30)}.${Math.floor(random() * 10)}`;
  const containers = [container(base, image, random, careful, probe, agent)];
  if (!agent && random() < 0.2) containers.push(container('proxy', 'envoyproxy/envoy:v1.29.2', random, careful, 'tcp'));
  const labels = { ...bulk, app: base, 'app.kubernetes.io/instance': name };
  const spec: PodSpec = {
    containers,
    serviceAccountName: 'default',
    ...(careful && { securityContext: { runAsNonRoot: true, runAsUser: 10_001, fsGroup: 10_001 } }),
    nodeSelector: { 'kubernetes.io/os': 'linux', ...(pool && pool !== 'general' && { [POOL_LABEL]: pool }) },
    ...(tolerations.length > 0 && { tolerations }),
    ...(agent && { priorityClassName: 'system-node-critical' }),
    ...((kind === 'Job' || kind === 'CronJob') && { restartPolicy: 'OnFailure' }),
    terminationGracePeriodSeconds: kind === 'StatefulSet' ? 120 : 30,
  };
  return {
    kind,
    namespace,
    name,
    pool,
    template: { metadata: { labels }, spec },
    weight: kind === 'CronJob' || agent ? 0 : [1, 1, 2, 2, 3, 3, 5, 8, 13, 30][Math.floor(random() * 10)],
    autoscaled: kind === 'Deployment' && random() < 0.125,
    flaky: random() < 0.03,
    requests: {
      cpu: containers.reduce((a, c) => a + Number.parseInt(String(c.resources?.requests?.cpu), 10), 0),
      memory: containers.reduce((a, c) => a + Number.parseInt(String(c.resources?.requests?.memory), 10), 0),
    },
  };
}

/** Spreads `total` over the weights, exactly: floors first, the remainder one each to the first. */
export function spread(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0 || total <= 0) return weights.map(() => 0);
  const out = weights.map((w) => Math.floor((total * w) / sum));
  let rest = total - out.reduce((a, b) => a + b, 0);
  for (let i = 0; rest > 0; i = (i + 1) % out.length) {
    if (weights[i] === 0) continue;
    out[i]++;
    rest--;
  }
  return out;
}

/** The added objects: nodes, namespaces, workloads, then each workload's ReplicaSet, HPA and pods. */
export function* bulkWorkloadObjects(scale: LabScale, ctx: BulkWorkloadContext): Generator<KubeObject> {
  const random = seeded((scale.seed ?? 1) ^ 0x5eed);
  const nodes = apiNodes(scale, ctx);
  for (const n of nodes) yield nodeObject(n, random, ctx) as unknown as KubeObject;
  const count = scale.workloads ?? 0;
  if (count === 0) return;
  // Pods go to the API-only nodes, else to the lab's own (no pools there, so no selector names one).
  const hosts: PlacedNode[] =
    nodes.length > 0
      ? nodes
      : ctx.labNodes.map((n, i) => ({
          ...n,
          pool: 'general',
          cidr: (CIDR_BASE + (32_000 + i) * 256) >>> 0,
          room: { cpu: 3910, memory: 7857, slots: 110 },
        }));
  const pools = new Set(nodes.map((n) => n.pool));
  const teams = Math.max(1, Math.ceil(count / WORKLOADS_PER_NAMESPACE));
  const namespaces = [AGENTS_NAMESPACE, ...Array.from({ length: teams }, (_, t) => `a-bulk-team-${pad(t + 1, 4)}`)];
  for (const name of namespaces) {
    yield {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { ...bulk, 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    yield { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name, labels: bulk } };
  }
  const drawn = Array.from({ length: count }, (_, i) => draw(i, teams, pools, random));

  // The budget: agents first (one pod on each of their nodes), the rest spread as replicas.
  let budget = workloadPodsOf(scale);
  // A cordoned node keeps the pods it ran before the cordon: every node of the pool counts.
  const eligible = (d: Drawn) =>
    d.pool === undefined || nodes.length === 0 ? hosts : hosts.filter((h) => h.pool === d.pool);
  const take = (node: PlacedNode, d: Drawn) => {
    node.room.cpu -= d.requests.cpu;
    node.room.memory -= d.requests.memory;
    node.room.slots--;
    return node;
  };
  const agentNodes = new Map<Drawn, PlacedNode[]>();
  for (const d of drawn.filter((d) => d.kind === 'DaemonSet')) {
    const on = eligible(d).slice(0, Math.max(0, budget));
    agentNodes.set(
      d,
      on.map((n) => take(n, d)),
    );
    budget -= on.length;
  }
  const replicas = spread(
    Math.max(0, budget),
    drawn.map((d) => d.weight),
  );

  // Pods go round the nodes of their pool, as a spreading scheduler puts them, each to the next node with
  // room for its requests; when no node of the pool has room the pod stays Pending, as the scheduler leaves
  // it (a scheduler never overcommits a node). Pods of one size that found no room once find none later
  // (rooms only shrink): remembered per pool and size, so a full pool costs one pass.
  const cursors = new Map<string, number>();
  const full = new Set<string>();
  const ips = new Map<string, number>();
  const place = (d: Drawn): Placement => {
    const key = d.pool ?? '*';
    const within = eligible(d);
    const size = `${key}|${d.requests.cpu}|${d.requests.memory}`;
    const k = cursors.get(key) ?? 0;
    for (let t = 0; !full.has(size) && t < within.length; t++) {
      const node = within[(k + t) % within.length];
      const { cpu, memory, slots } = node.room;
      if (cpu < d.requests.cpu || memory < d.requests.memory || slots < 1) continue;
      cursors.set(key, k + t + 1);
      return take(node, d);
    }
    full.add(size);
    return { unschedulable: within.length };
  };
  const at = timestamp(ctx.created);
  const hours = Math.max(1, (ctx.now.getTime() - ctx.created.getTime()) / 3_600_000);

  for (const [i, d] of drawn.entries()) {
    const uid = (kind: string, name: string) => stableUid(`${kind}/${d.namespace}/${name}`);
    const owner = (apiVersion: string, kind: string, name: string) =>
      controllerRef(kind, name, uid(`${kind.toLowerCase()}s`, name), apiVersion);
    const meta = (extra: object = {}) => ({
      name: d.name,
      namespace: d.namespace,
      labels: { ...bulk, app: d.template.metadata.labels.app },
      generation: 1,
      ...extra,
    });
    const n = replicas[i];
    const selector = { matchLabels: { 'app.kubernetes.io/instance': d.name } };
    const applied = (spec: object) => ({
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
        apiVersion: d.kind === 'Job' || d.kind === 'CronJob' ? 'batch/v1' : 'apps/v1',
        kind: d.kind,
        metadata: { name: d.name, namespace: d.namespace, labels: { app: d.template.metadata.labels.app } },
        spec: { ...spec, selector, template: d.template },
      }),
    });
    const podsOf: { name: string; node: Placement; labels: Record<string, string>; ownerRef: object }[] = [];
    const salt = Number.parseInt(uid('salt', d.name).slice(0, 6), 16);
    const pick = () => place(d);
    switch (d.kind) {
      case 'Deployment': {
        const hash = templateHash(d.template);
        const rs = `${d.name}-${hash}`;
        yield {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: meta({
            annotations: {
              'deployment.kubernetes.io/revision': '1',
              ...applied(d.autoscaled ? {} : { replicas: n }),
            },
          }),
          spec: {
            replicas: n,
            revisionHistoryLimit: 10,
            progressDeadlineSeconds: 600,
            selector,
            strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
            template: d.template,
          },
          status: {
            observedGeneration: 1,
            replicas: n,
            updatedReplicas: n,
            readyReplicas: n || undefined,
            availableReplicas: n || undefined,
          },
        };
        const labels = { ...d.template.metadata.labels, 'pod-template-hash': hash };
        yield {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: rs,
            namespace: d.namespace,
            labels,
            annotations: { 'deployment.kubernetes.io/revision': '1' },
            ownerReferences: [owner('apps/v1', 'Deployment', d.name)],
          },
          spec: {
            replicas: n,
            selector: { matchLabels: { ...selector.matchLabels, 'pod-template-hash': hash } },
            template: { ...d.template, metadata: { labels } },
          },
          status: {
            observedGeneration: 1,
            replicas: n,
            readyReplicas: n || undefined,
            availableReplicas: n || undefined,
          },
        };
        if (d.autoscaled) {
          yield {
            apiVersion: 'autoscaling/v2',
            kind: 'HorizontalPodAutoscaler',
            metadata: { name: d.name, namespace: d.namespace, labels: bulk },
            spec: {
              scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: d.name },
              minReplicas: Math.max(1, Math.min(n, 2)),
              maxReplicas: Math.max(n, 2) * 3,
              metrics: [
                {
                  type: 'Resource',
                  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
                },
              ],
            },
            status: { currentReplicas: n, desiredReplicas: n },
          };
        }
        for (let k = 0; k < n; k++)
          podsOf.push({
            name: `${rs}-${ordinalSuffix(salt, k)}`,
            node: pick(),
            labels,
            ownerRef: owner('apps/v1', 'ReplicaSet', rs),
          });
        break;
      }
      case 'StatefulSet': {
        const revision = `${d.name}-${templateHash(d.template)}`;
        yield {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: meta({ annotations: applied({ replicas: n, serviceName: d.name }) }),
          spec: {
            replicas: n,
            serviceName: d.name,
            podManagementPolicy: 'OrderedReady',
            selector,
            template: d.template,
            updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
          },
          status: {
            observedGeneration: 1,
            replicas: n,
            readyReplicas: n || undefined,
            currentReplicas: n || undefined,
            updatedReplicas: n || undefined,
            currentRevision: revision,
            updateRevision: revision,
            collisionCount: 0,
          },
        };
        for (let k = 0; k < n; k++)
          podsOf.push({
            name: `${d.name}-${k}`,
            node: pick(),
            labels: {
              ...d.template.metadata.labels,
              'controller-revision-hash': revision,
              'statefulset.kubernetes.io/pod-name': `${d.name}-${k}`,
            },
            ownerRef: owner('apps/v1', 'StatefulSet', d.name),
          });
        break;
      }
      case 'Job': {
        const jobUid = uid('jobs', d.name);
        const labels = {
          ...d.template.metadata.labels,
          'batch.kubernetes.io/controller-uid': jobUid,
          'batch.kubernetes.io/job-name': d.name,
          'controller-uid': jobUid,
          'job-name': d.name,
        };
        const parallel = Math.max(1, n);
        yield {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: meta({ labels: { ...bulk, app: d.template.metadata.labels.app } }),
          spec: {
            parallelism: parallel,
            completions: parallel,
            backoffLimit: 6,
            completionMode: 'NonIndexed',
            selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': jobUid } },
            template: { ...d.template, metadata: { labels } },
          },
          status: { startTime: at, active: n, ...(ctx.minor >= 24 && { ready: n }) },
        };
        for (let k = 0; k < n; k++)
          podsOf.push({
            name: `${d.name}-${ordinalSuffix(salt, k)}`,
            node: pick(),
            labels,
            ownerRef: owner('batch/v1', 'Job', d.name),
          });
        break;
      }
      case 'CronJob': {
        // Daily at a drawn time; its last run is over (no Job active), its next one tomorrow.
        const hour = Math.floor(random() * 24);
        const minute = Math.floor(random() * 60);
        const last = new Date(ctx.now);
        last.setUTCHours(hour, minute, 0, 0);
        if (last > ctx.now) last.setUTCDate(last.getUTCDate() - 1);
        yield {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: meta(),
          spec: {
            schedule: `${minute} ${hour} * * *`,
            concurrencyPolicy: 'Forbid',
            suspend: false,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 1,
            jobTemplate: { spec: { backoffLimit: 2, template: d.template } },
          },
          status: { lastScheduleTime: timestamp(last), lastSuccessfulTime: timestamp(last) },
        };
        break;
      }
      case 'DaemonSet': {
        const on = agentNodes.get(d)!;
        const wanted = eligible(d).length;
        const revision = templateHash(d.template);
        yield {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: meta({ annotations: { 'deprecated.daemonset.template.generation': '1' } }),
          spec: {
            selector,
            template: d.template,
            updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
            revisionHistoryLimit: 10,
          },
          status: {
            currentNumberScheduled: on.length,
            desiredNumberScheduled: wanted,
            numberMisscheduled: 0,
            numberReady: on.length,
            numberAvailable: on.length,
            updatedNumberScheduled: on.length,
            observedGeneration: 1,
          },
        };
        const labels = {
          ...d.template.metadata.labels,
          'controller-revision-hash': revision,
          'pod-template-generation': '1',
        };
        for (const [k, node] of on.entries())
          podsOf.push({
            name: `${d.name}-${ordinalSuffix(salt, k)}`,
            node,
            labels,
            ownerRef: owner('apps/v1', 'DaemonSet', d.name),
          });
        break;
      }
    }
    for (const p of podsOf) yield pod(d, p, ctx, ips, random, hours);
  }
}

function pod(
  d: Drawn,
  p: { name: string; node: Placement; labels: Record<string, string>; ownerRef: object },
  ctx: BulkWorkloadContext,
  ips: Map<string, number>,
  random: () => number,
  hours: number,
): KubeObject {
  const token = tokenVolume(d.namespace, p.name, ctx.minor, 'default');
  const template = d.template.spec;
  const spec: PodSpec = {
    ...template,
    containers: template.containers.map((c) => ({ ...c, volumeMounts: [token.mount] })),
    volumes: [token.volume],
    ...((p.ownerRef as { kind?: string }).kind === 'DaemonSet' && { tolerations: daemonPodTolerations(template) }),
  };
  const admitted = defaultPod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: d.namespace, labels: p.labels, ownerReferences: [p.ownerRef as never] },
    spec,
  });
  const node = p.node;
  if ('unschedulable' in node) return pendingPod(admitted, node.unschedulable, ctx.created) as unknown as KubeObject;
  const next = ips.get(node.name) ?? 2;
  ips.set(node.name, next + 1);
  const running = runPod(admitted, node, ipOf(node.cidr + (next % 254)), ctx.created);
  // Restarts: a crash-looping workload's pods restart every few minutes; elsewhere one pod in ten now and then.
  const restarts = d.flaky
    ? Math.floor(hours * (2 + random() * 10))
    : random() < 0.1
      ? 1 + Math.floor(random() * 3)
      : 0;
  if (restarts > 0) {
    const [first, ...rest] = running.status!.containerStatuses!;
    const ended = timestamp(new Date(ctx.now.getTime() - 60_000));
    running.status!.containerStatuses = [
      {
        ...first,
        restartCount: restarts,
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ended, finishedAt: ended } },
        ...(d.flaky && {
          ready: false,
          started: false,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
        }),
      },
      ...rest,
    ];
  }
  return running as unknown as KubeObject;
}

/** Adds the objects `scale` asks for (API-only nodes, workloads and their pods) to the store. */
export function seedBulkWorkloads(store: Store, scale: LabScale, ctx: BulkWorkloadContext): void {
  for (const o of bulkWorkloadObjects(scale, ctx))
    store.create(resourceOfKind(RESOURCES, o.kind ?? ''), o, { created: ctx.created });
}
