import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { Fleet, podRequests } from '../hunters/ops/agents.js';
import type { OpsObject } from '../hunters/ops/objects.js';
import { daemonPodAffinity, daemonPodTolerations } from '../kubernetes/daemon-pods.js';
import { admits, placementOf } from '../kubernetes/node-fit.js';
import { controllerRef } from './owners.js';
import { defaultPod, type NodeSlot, runPod, tokenVolume } from './pods.js';
import { RESOURCES, resourceOfKind } from './resources.js';
import { type KubeObject, type Store, stableUid, timestamp } from './store.js';
import { daemonSetStatus } from './workload-status.js';
import { daemonSetRevision, templateHash } from './workloads.js';

// The pods of the seeded DaemonSets, as the DaemonSet controller and the scheduler leave them in a cluster
// in use: one on every node a DaemonSet may run on (the ops checks read them: the room they take on each
// node, their restarts, nodes × pods). Pods seeded with their own story (kube-proxy, the crash-looping
// log-shipper) are kept, and only the nodes without one get one; each DaemonSet's status then counts its
// pods. Only the lab's own nodes get them (the --api-nodes Node objects run no kubelet).

const rt = (kind: string) => resourceOfKind(RESOURCES, kind);

/** Kubernetes' alphabet for generated name suffixes; the suffix stable for the same pod. */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export const podSuffix = (seed: string) =>
  [...stableUid(seed).replace(/-/g, '').slice(0, 5)].map((c) => ALPHABET[Number.parseInt(c, 16)]).join('');

/** Where the scheduler leaves a pod it cannot place, as `kubectl describe` shows it. */
function pending(pod: Pod, node: string, why: string, created: Date): Pod {
  return {
    ...pod,
    status: {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: `0/1 nodes are available: 1 ${why}. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.`,
          lastTransitionTime: timestamp(created),
        },
      ],
      qosClass: 'Burstable',
    },
    // The DaemonSet controller pins each pod to its node by affinity; the scheduler never binds this one.
    spec: { ...pod.spec!, nodeName: undefined, affinity: daemonPodAffinity(pod.spec?.affinity, node) },
  };
}

/**
 * Makes the missing pods of `daemonSets` (namespace/name, in the order they were made: the first take the
 * room): one on each of `nodes` without one that its node selector, required affinity and the node's taints (less
 * the controller's tolerations) let it run on, running where its requests fit what the pods bound there
 * leave free, else Pending; then the DaemonSet's status counts them.
 */
export function seedDaemonPods(
  store: Store,
  daemonSets: readonly string[],
  nodes: readonly NodeSlot[],
  created: Date,
  minor: number,
): void {
  const of = (kind: string) => store.list(rt(kind)).map((item): OpsObject => ({ kind, item: item as never }));
  const fleet = new Fleet([...of('Node'), ...of('Pod'), ...of('DaemonSet')]);
  const rooms = new Map(fleet.nodes.map((n) => [n.name, n]));
  const made = new Map<string, number>();
  for (const key of daemonSets) {
    const [namespace, name] = key.split('/');
    const ds = store.get(rt('DaemonSet'), namespace, name);
    if (!ds) continue;
    // The nodes that have its pod already (seeded ones): the controller makes only what is missing.
    const has = new Set(
      fleet.podsOf({ kind: 'DaemonSet', item: ds as never }).map((p) => String(p.item.spec?.nodeName ?? '')),
    );
    const template = (ds.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpec } })
      .template;
    const spec = template?.spec ?? { containers: [] };
    const revision = {
      'controller-revision-hash': templateHash(template),
      'pod-template-generation': String(ds.metadata.generation ?? 1),
    };
    store.create(rt('ControllerRevision'), daemonSetRevision(ds, template), { created });
    // The seeded ones carry what the controller gave them too: its labels, the affinity to their node.
    for (const seeded of fleet.podsOf({ kind: 'DaemonSet', item: ds as never })) {
      const pod = store.get(rt('Pod'), namespace, String(seeded.item.metadata?.name));
      const node = (pod?.spec as PodSpec | undefined)?.nodeName;
      if (!pod || !node) continue;
      store.replace(rt('Pod'), {
        ...pod,
        metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, ...revision } },
        spec: { ...(pod.spec as PodSpec), affinity: daemonPodAffinity((pod.spec as PodSpec).affinity, node) },
      });
    }
    const placement = { ...placementOf(spec), tolerations: daemonPodTolerations(spec) };
    const need = podRequests(spec);
    const desired: string[] = [];
    for (const slot of nodes) {
      const room = rooms.get(slot.name);
      if (!room || !admits(placement, room)) continue;
      desired.push(slot.name);
      if (has.has(slot.name)) continue;
      const podName = `${name}-${podSuffix(`${key}/${slot.name}`)}`;
      const token = tokenVolume(namespace, podName, minor, spec.serviceAccountName ?? 'default');
      const pod = defaultPod({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace,
          labels: { ...template?.metadata?.labels, ...revision },
          ownerReferences: [controllerRef('DaemonSet', name, ds.metadata.uid ?? '')],
        },
        spec: {
          ...structuredClone(spec),
          containers: spec.containers.map((c) => ({ ...c, volumeMounts: [...(c.volumeMounts ?? []), token.mount] })),
          volumes: [...(spec.volumes ?? []), token.volume],
          tolerations: daemonPodTolerations(spec),
          affinity: daemonPodAffinity(spec.affinity, slot.name),
          nodeName: slot.name,
        },
      });
      // As the scheduler's NodeResourcesFit: a resource the pod does not request never keeps it off.
      const short = [
        need.cpu > 0 && room.allocatable.cpu - room.requested.cpu < need.cpu ? 'Insufficient cpu' : '',
        need.memory > 0 && room.allocatable.memory - room.requested.memory < need.memory ? 'Insufficient memory' : '',
        room.allocatable.pods - room.requested.pods < 1 ? 'Too many pods' : '',
      ].filter(Boolean);
      if (short.length > 0) {
        store.create(rt('Pod'), pending(pod, slot.name, short.join(', 1 '), created) as KubeObject, { created });
        continue;
      }
      const k = made.get(slot.name) ?? 0;
      made.set(slot.name, k + 1);
      const ip = spec.hostNetwork ? slot.address : `10.244.${slot.index + 1}.${230 - k}`;
      store.create(rt('Pod'), runPod(pod, slot, ip, created) as KubeObject, { created });
      room.requested.cpu += need.cpu;
      room.requested.memory += need.memory;
      room.requested.pods += 1;
    }
    if (desired.length === 0 && has.size === 0) continue;
    store.replace(rt('DaemonSet'), {
      ...ds,
      status: daemonSetStatus(store, ds, desired, revision['controller-revision-hash']),
    });
  }
}
