import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { Fleet, type NodeRoom, podRequests } from '../hunters/ops/agents.js';
import type { OpsObject } from '../hunters/ops/objects.js';
import { admits, NodeIndex, placementOf, taintText } from '../kubernetes/node-fit.js';
import { controllerRef } from './owners.js';
import { defaultPod, type NodeSlot, runPod, tokenVolume } from './pods.js';
import { RESOURCES, resourceOfKind } from './resources.js';
import { podSuffix } from './seed-daemon-pods.js';
import { type KubeObject, type Store, timestamp } from './store.js';
import { controlledBy, deploymentStatus, replicaSetStatus } from './workload-status.js';
import { templateHash } from './workloads.js';

// The ReplicaSets and pods of the seeded Deployments, as the Deployment and ReplicaSet controllers and
// the scheduler leave them in a cluster in use: a Deployment without a ReplicaSet gets one for its
// template (`<name>-<pod-template-hash>`, revision 1), a ReplicaSet short of pods gets the missing ones,
// each bound to the node with the fewest pods among those its placement and requests fit (Running), else
// Pending with the scheduler's words; then every Deployment's and ReplicaSet's status counts its pods.
// Seeded pods with their own story (the Pending gpu-trainer ones) are kept. Only the lab's own nodes take
// pods (the --api-nodes Node objects run no kubelet).

const rt = (kind: string) => resourceOfKind(RESOURCES, kind);

type Labels = Record<string, string>;
interface Template {
  metadata?: { labels?: Labels; annotations?: Labels };
  spec?: PodSpec;
}
interface ReplicaSpec {
  replicas?: number;
  selector?: { matchLabels?: Labels };
  template?: Template;
}

/** The node's pod IPs in use, so a new pod takes the lowest free one of its /24, as host-local IPAM does. */
function freeIp(store: Store, slot: NodeSlot): string {
  const prefix = `10.244.${slot.index + 1}.`;
  const used = new Set(store.list(rt('Pod')).map((p) => (p.status as Pod['status'])?.podIP));
  for (let i = 2; i < 255; i++) if (!used.has(`${prefix}${i}`)) return `${prefix}${i}`;
  return `${prefix}254`;
}

/** Why `node` does not take the pod, in kube-scheduler's words (undefined: it does). */
function refusal(room: NodeRoom, spec: PodSpec): string | undefined {
  const placement = placementOf(spec);
  if (!admits(placement, room)) {
    const no = new NodeIndex([room]).noFit(placement);
    return no?.why === 'taints'
      ? `node(s) had untolerated taint {${no.taints.map(taintText).join(', ')}}`
      : "node(s) didn't match Pod's node affinity/selector";
  }
  const need = podRequests(spec);
  // As the scheduler's NodeResourcesFit: a resource the pod does not request never keeps it off.
  const short = [
    need.cpu > 0 && room.allocatable.cpu - room.requested.cpu < need.cpu ? 'Insufficient cpu' : '',
    need.memory > 0 && room.allocatable.memory - room.requested.memory < need.memory ? 'Insufficient memory' : '',
    room.allocatable.pods - room.requested.pods < 1 ? 'Too many pods' : '',
  ].filter(Boolean);
  return short.length > 0 ? short.join(', ') : undefined;
}

/** The PodScheduled condition of a pod no node takes: each reason with how many nodes gave it. */
function unschedulable(reasons: readonly string[], created: Date) {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const listed = (m: Map<string, number>) =>
    [...m]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([r, n]) => `${n} ${r}`)
      .join(', ');
  // Preemption helps only where resources are short: evicting pods changes no label or taint.
  const preemption = new Map<string, number>();
  for (const [r, n] of counts) {
    const why =
      r.startsWith('Insufficient') || r === 'Too many pods'
        ? 'No preemption victims found for incoming pod'
        : 'Preemption is not helpful for scheduling';
    preemption.set(why, (preemption.get(why) ?? 0) + n);
  }
  const total = reasons.length;
  return {
    type: 'PodScheduled',
    status: 'False',
    reason: 'Unschedulable',
    message: `0/${total} nodes are available: ${listed(counts)}. preemption: 0/${total} nodes are available: ${listed(preemption)}.`,
    lastTransitionTime: timestamp(created),
  };
}

/**
 * Makes the missing ReplicaSets of the seeded Deployments and the missing pods of every seeded ReplicaSet
 * on `nodes`, then sets their statuses from the pods.
 */
export function seedReplicaPods(store: Store, nodes: readonly NodeSlot[], created: Date, minor: number): void {
  const DEPLOYMENTS = rt('Deployment');
  const REPLICA_SETS = rt('ReplicaSet');
  const PODS = rt('Pod');
  for (const d of store.list(DEPLOYMENTS)) {
    if (store.list(REPLICA_SETS, d.metadata.namespace).some((r) => controlledBy(r, d))) continue;
    const spec = (d.spec ?? {}) as ReplicaSpec;
    const hash = templateHash(spec.template);
    const labels = { ...spec.template?.metadata?.labels, 'pod-template-hash': hash };
    store.create(
      REPLICA_SETS,
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: d.metadata.namespace,
          labels,
          annotations: { 'deployment.kubernetes.io/revision': '1' },
          ownerReferences: [controllerRef('Deployment', d.metadata.name ?? '', d.metadata.uid ?? '')],
          generation: 1,
        },
        spec: {
          replicas: spec.replicas ?? 1,
          selector: { ...spec.selector, matchLabels: { ...spec.selector?.matchLabels, 'pod-template-hash': hash } },
          template: { ...spec.template, metadata: { ...spec.template?.metadata, labels } },
        },
      } as KubeObject,
      { created },
    );
  }

  const of = (kind: string) => store.list(rt(kind)).map((item): OpsObject => ({ kind, item: item as never }));
  const rooms = new Map(new Fleet([...of('Node'), ...of('Pod')]).nodes.map((n) => [n.name, n]));
  const slots = nodes.filter((n) => rooms.has(n.name));
  for (const rs of store.list(REPLICA_SETS)) {
    const spec = (rs.spec ?? {}) as ReplicaSpec;
    const namespace = rs.metadata.namespace ?? '';
    const have = store.list(PODS, namespace).filter((p) => controlledBy(p, rs)).length;
    const template = spec.template ?? {};
    const podSpec: PodSpec = template.spec ?? { containers: [] };
    const need = podRequests(podSpec);
    for (let i = have; i < (spec.replicas ?? 1); i++) {
      const name = `${rs.metadata.name}-${podSuffix(`${namespace}/${rs.metadata.name}/${i}`)}`;
      const token =
        podSpec.automountServiceAccountToken === false
          ? undefined
          : tokenVolume(namespace, name, minor, podSpec.serviceAccountName ?? 'default');
      const pod = defaultPod({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace,
          labels: { ...template.metadata?.labels },
          ...(template.metadata?.annotations && { annotations: { ...template.metadata.annotations } }),
          ownerReferences: [controllerRef('ReplicaSet', rs.metadata.name ?? '', rs.metadata.uid ?? '')],
        },
        spec: {
          ...structuredClone(podSpec),
          ...(token && {
            containers: podSpec.containers.map((c) => ({
              ...structuredClone(c),
              volumeMounts: [...(c.volumeMounts ?? []), token.mount],
            })),
            volumes: [...structuredClone(podSpec.volumes ?? []), token.volume],
          }),
        },
      });
      const reasons = slots.map((s) => refusal(rooms.get(s.name)!, podSpec));
      // A pod that requests CPU goes where most is free (the scheduler's LeastAllocated score); the others are
      // spread by count, as its default topology spread over hostnames does.
      const free = (s: NodeSlot) => {
        const r = rooms.get(s.name)!;
        return need.cpu > 0 ? r.allocatable.cpu - r.requested.cpu : 0;
      };
      const fit = slots
        .filter((_, k) => reasons[k] === undefined)
        .sort(
          (a, b) =>
            free(b) - free(a) ||
            rooms.get(a.name)!.requested.pods - rooms.get(b.name)!.requested.pods ||
            a.index - b.index,
        )[0];
      if (!fit) {
        const status = {
          phase: 'Pending',
          conditions: [unschedulable(reasons as string[], created)],
          qosClass: qos(podSpec),
        };
        store.create(PODS, { ...pod, status } as KubeObject, { created });
        continue;
      }
      store.create(
        PODS,
        runPod(pod, fit, podSpec.hostNetwork ? fit.address : freeIp(store, fit), created) as KubeObject,
        {
          created,
        },
      );
      const room = rooms.get(fit.name)!;
      room.requested.cpu += need.cpu;
      room.requested.memory += need.memory;
      room.requested.pods += 1;
    }
  }

  for (const rs of store.list(REPLICA_SETS))
    store.replace(REPLICA_SETS, { ...rs, status: replicaSetStatus(store, rs) });
  for (const d of store.list(DEPLOYMENTS))
    store.replace(DEPLOYMENTS, { ...d, status: deploymentStatus(store, d, created) });
}

/** The QoS class of a pod of this spec: only Burstable and BestEffort here (the seeds set no Guaranteed pod). */
const qos = (spec: PodSpec) =>
  spec.containers.some((c) => c.resources?.requests || c.resources?.limits) ? 'Burstable' : 'BestEffort';
